namespace Haven.Actors.Fencing;

/// <summary>What to do to a host (HA-Lizard's stop / start / reset).</summary>
public enum FenceAction
{
    /// <summary>Power off; success means the power state was read back as off.</summary>
    Off,

    /// <summary>Power on (not a fencing action by itself; used to bring a host back).</summary>
    On,

    /// <summary>Off (verified) then on; success means the off was verified.</summary>
    Reboot,
}

/// <summary>A host's power as a device reads it.</summary>
public enum PowerState
{
    Off,
    On,
    Unknown,
}

/// <summary>The result of one device carrying out one action on one host.</summary>
public sealed record FenceDeviceOutcome(bool Success, string Detail)
{
    public static FenceDeviceOutcome Succeeded(string detail) => new(true, detail);
    public static FenceDeviceOutcome Failed(string detail) => new(false, detail);
}

/// <summary>Whether a device answers as expected (<c>haven fence check</c>).</summary>
public sealed record FenceDeviceHealth(bool Healthy, string Detail);

/// <summary>
/// A device that can power hosts off and on: an SNMP chassis, a fence agent, a script, the pool.
/// <see cref="ExecuteAsync"/> reports success only when the device verified the result (for Off: the
/// power state read back as off) — never because a command merely returned. It may throw; the caller
/// treats any exception as a failure. Implementations honour cancellation promptly.
/// </summary>
public interface IFenceDevice
{
    /// <summary>The device's name in the configuration (<c>haven.fencing.devices.NAME</c>).</summary>
    string Name { get; }

    /// <summary>The configured type (<c>snmp-ibm-amm</c>, <c>fence-agent</c>, …).</summary>
    string Type { get; }

    Task<FenceDeviceOutcome> ExecuteAsync(string host, FenceAction action, CancellationToken cancellationToken);

    Task<PowerState> GetPowerStateAsync(string host, CancellationToken cancellationToken);

    /// <summary>The hosts (blades, plugs) the device knows, where it can tell.</summary>
    Task<IReadOnlyList<string>> ListHostsAsync(CancellationToken cancellationToken);

    Task<FenceDeviceHealth> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>A device refused, answered wrongly or could not be reached; the message says which and why.</summary>
public sealed class FenceDeviceException : Exception
{
    public FenceDeviceException(string device, string message)
        : base($"fence device {device}: {message}") => Device = device;

    public FenceDeviceException(string device, string message, Exception inner)
        : base($"fence device {device}: {message}", inner) => Device = device;

    public string Device { get; }
}
