using Haven.Actors.Cluster;

namespace Haven.Adapters.FloatingIps;

/// <summary>
/// Another machine answered the ARP probe for <see cref="Address"/> on its interface: the address was
/// not taken (taking it would put two machines on one address). The caller raises an alert.
/// </summary>
public sealed class AddressInUseException(PublicAddress address, string detail)
    : Exception($"floating address {address.Ip} is already in use on interface {address.Interface}: another machine answered the ARP probe ({detail}); not taking it")
{
    public PublicAddress Address { get; } = address;
}

/// <summary>A command of the address manager failed, timed out or could not start; the message names the command and its stderr.</summary>
public sealed class AddressCommandException(string command, string detail, bool timedOut, Exception? inner = null)
    : Exception($"{command}: {detail}", inner)
{
    /// <summary>The command line as run (prefix included), for the log.</summary>
    public string Command { get; } = command;

    /// <summary>The command was killed at its timeout (a hung command is never a success).</summary>
    public bool TimedOut { get; } = timedOut;
}
