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

/// <summary>Why an SNMPv3 (USM) exchange failed.</summary>
public enum UsmError
{
    /// <summary>The agent does not know the user (usmStatsUnknownUserNames).</summary>
    UnknownUserName,

    /// <summary>The agent's digest check failed: wrong auth password or protocol (usmStatsWrongDigests).</summary>
    WrongDigest,

    /// <summary>The agent could not decrypt the request, or we could not decrypt its answer: wrong priv password or protocol.</summary>
    DecryptionError,

    /// <summary>The user may not use the requested security level (usmStatsUnsupportedSecLevels).</summary>
    UnsupportedSecurityLevel,

    /// <summary>The agent still reports a wrong engine id after a rediscovery (usmStatsUnknownEngineIDs).</summary>
    UnknownEngineId,

    /// <summary>Still outside the agent's time window after one resynchronisation (usmStatsNotInTimeWindows).</summary>
    NotInTimeWindow,

    /// <summary>The agent answered with a Report this client does not act on.</summary>
    OtherReport,
}

/// <summary>An SNMPv3 request failed in the User-based Security Model; never a success. Messages never contain a password.</summary>
public sealed class SnmpUsmException(EndPoint endpoint, string user, UsmError error, string detail)
    : SnmpClientException($"SNMPv3 user {user} at {endpoint}: {detail}")
{
    public UsmError Error { get; } = error;
}
