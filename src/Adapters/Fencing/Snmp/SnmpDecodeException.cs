namespace Haven.Adapters.Fencing.Snmp;

/// <summary>
/// A datagram is not a well-formed SNMP message: <see cref="Offset"/> is the byte where the problem
/// was found and <see cref="Reason"/> what was wrong there. The only exception the decoder throws.
/// </summary>
public sealed class SnmpDecodeException : Exception
{
    public SnmpDecodeException(int offset, string reason)
        : base($"malformed SNMP message at byte {offset}: {reason}")
    {
        Offset = offset;
        Reason = reason;
    }

    public int Offset { get; }

    public string Reason { get; }
}
