using System.Net;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>An SNMP request did not produce a usable answer. Messages never contain the community.</summary>
public class SnmpClientException : Exception
{
    public SnmpClientException(string message)
        : base(message)
    {
    }

    public SnmpClientException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>No matching response arrived within the timeout on any attempt.</summary>
public sealed class SnmpTimeoutException(EndPoint endpoint, SnmpPduType request, int attempts, TimeSpan timeout, string? lastProblem)
    : SnmpClientException($"no answer from {endpoint} to {request} after {attempts} attempt(s) of {timeout.TotalMilliseconds:0} ms"
        + (lastProblem is null ? "" : $" (last problem: {lastProblem})"))
{
    public int Attempts { get; } = attempts;
}

/// <summary>The agent answered with a non-zero error-status (e.g. noAccess for a wrong community, wrongType).</summary>
public sealed class SnmpErrorResponseException(EndPoint endpoint, SnmpPduType request, SnmpErrorStatus status, int index, Oid? oid)
    : SnmpClientException($"{endpoint} answered {request} with error {status}"
        + (oid is null ? "" : $" on {oid}") + (index > 0 ? $" (binding {index})" : ""))
{
    public SnmpErrorStatus Status { get; } = status;
    public int Index { get; } = index;
    public Oid? Oid { get; } = oid;
}
