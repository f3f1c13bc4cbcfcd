using System.Collections.Immutable;

namespace Haven.Actors.Fencing;

/// <summary><c>haven.fencing</c>, read and checked by <see cref="Configuration.FencingConfig"/>.</summary>
public sealed record FencingSettings
{
    public bool Enabled { get; init; }
    public FenceAction Action { get; init; } = FenceAction.Off;
    public FencingPolicy Policy { get; init; } = new();
    public string SecretsFile { get; init; } = "";
    public TimeSpan DeviceTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public int DeviceRetries { get; init; } = 1;
    public ImmutableDictionary<string, FenceDeviceSettings> Devices { get; init; } = ImmutableDictionary<string, FenceDeviceSettings>.Empty;
    public FencingTopology Topology { get; init; } = FencingTopology.Empty;
    public WatchdogSettings Watchdog { get; init; } = new();

    /// <summary><c>reboot-command</c>: how this host reboots itself (reboot-lone-host) when no watchdog is armed; argv, never a shell.</summary>
    public ImmutableArray<string> RebootCommand { get; init; } = FencingRulesConfig.DefaultRebootCommand;

    public FencerOptions ToFencerOptions() => new()
    {
        Action = Action,
        DeviceTimeout = DeviceTimeout,
        DeviceRetries = DeviceRetries,
        Policy = Policy,
    };
}

/// <summary>One entry of <c>haven.fencing.devices</c>.</summary>
public abstract record FenceDeviceSettings(string Name)
{
    public abstract string Type { get; }
}

/// <summary><c>type = snmp-ibm-amm | snmp-ibm-cmm</c>: an IBM chassis reached over SNMP; its community is a secret.</summary>
public sealed record SnmpFenceDeviceSettings(
    string Name,
    bool FlexCmm,
    string Host,
    int Port,
    bool Version1,
    bool NoSoftOff,
    TimeSpan Timeout,
    int Retries,
    TimeSpan SoftOffTimeout,
    TimeSpan OffTimeout,
    TimeSpan OnTimeout,
    TimeSpan PollInterval) : FenceDeviceSettings(Name)
{
    public override string Type => FlexCmm ? "snmp-ibm-cmm" : "snmp-ibm-amm";

    /// <summary>With <c>version = v3</c>: the USM user and protocols (its passwords are secrets); null for v1/v2c.</summary>
    public SnmpV3Settings? V3 { get; init; }
}

/// <summary>SNMPv3 authentication protocol of a device (<c>auth-protocol = sha | md5</c>).</summary>
public enum SnmpAuthProtocol
{
    Sha,
    Md5,
}

/// <summary>SNMPv3 privacy protocol of a device (<c>priv-protocol = aes | none</c>).</summary>
public enum SnmpPrivProtocol
{
    Aes,
    None,
}

/// <summary>
/// The SNMPv3 user of a device: authNoPriv (<see cref="SnmpPrivProtocol.None"/>) or authPriv. The
/// passwords come from the secrets file as <c>DEVICE.auth-password</c> and <c>DEVICE.priv-password</c>.
/// </summary>
public sealed record SnmpV3Settings(string User, SnmpAuthProtocol Auth, SnmpPrivProtocol Priv);

/// <summary><c>type = fence-agent</c>: a fence-agents agent over the stdin protocol; its password is a secret.</summary>
public sealed record FenceAgentDeviceSettings(
    string Name,
    string Agent,
    string IpAddress,
    string Login,
    bool SendPlug,
    ImmutableDictionary<string, string> Plugs,
    ImmutableDictionary<string, string> Options,
    TimeSpan Timeout) : FenceDeviceSettings(Name)
{
    public override string Type => "fence-agent";
}

/// <summary><c>type = script</c>: HA-Lizard's DIRECTORY/SCRIPT/SCRIPT.sh interface.</summary>
public sealed record ScriptFenceDeviceSettings(string Name, string Directory, string Script, TimeSpan Timeout) : FenceDeviceSettings(Name)
{
    public override string Type => "script";
}

/// <summary><c>type = pool</c>: membership removal only (unsafe with shared storage).</summary>
public sealed record PoolFenceDeviceSettings(string Name) : FenceDeviceSettings(Name)
{
    public override string Type => "pool";
}

/// <summary>
/// <c>type = watchdog</c>: SBD's watchdog-only fencing, for the DC side. Fencing a host waits
/// <see cref="WatchdogTimeout"/> × <see cref="SafetyFactor"/> and then assumes the host reset itself.
/// Safe only when every host runs its watchdog (<c>haven.fencing.watchdog.enabled = on</c>).
/// </summary>
public sealed record WatchdogFenceDeviceSettings(string Name, TimeSpan WatchdogTimeout, double SafetyFactor) : FenceDeviceSettings(Name)
{
    public override string Type => "watchdog";

    public TimeSpan Wait => WatchdogTimeout * SafetyFactor;
}

/// <summary><c>haven.fencing.watchdog</c>: this host's own watchdog (self-fencing).</summary>
public sealed record WatchdogSettings
{
    public bool Enabled { get; init; }
    public string Device { get; init; } = "/dev/watchdog";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan DemoteTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>The secrets of one device. Never printed: <see cref="ToString"/> hides them.</summary>
public sealed record FenceDeviceSecrets(string? Community, string? Password)
{
    /// <summary>SNMPv3: the user's authentication password (<c>DEVICE.auth-password</c>).</summary>
    public string? AuthPassword { get; init; }

    /// <summary>SNMPv3: the user's privacy password (<c>DEVICE.priv-password</c>).</summary>
    public string? PrivPassword { get; init; }

    public override string ToString() =>
        $"FenceDeviceSecrets {{ Community = {Hide(Community)}, Password = {Hide(Password)}, AuthPassword = {Hide(AuthPassword)}, PrivPassword = {Hide(PrivPassword)} }}";

    private static string Hide(string? secret) => secret is null ? "(none)" : "(hidden)";
}

/// <summary>Every device's secrets, from the owner-only secrets file.</summary>
public sealed class FencingSecrets(ImmutableDictionary<string, FenceDeviceSecrets> devices)
{
    public static FencingSecrets None { get; } = new(ImmutableDictionary<string, FenceDeviceSecrets>.Empty);

    public ImmutableDictionary<string, FenceDeviceSecrets> Devices { get; } = devices;

    /// <summary>The web view's access token (<c>web.access-token</c>), or null when the file has none.</summary>
    public string? WebAccessToken { get; init; }

    public FenceDeviceSecrets For(string device) => Devices.TryGetValue(device, out var secrets) ? secrets : new FenceDeviceSecrets(null, null);

    public override string ToString() => $"FencingSecrets ({Devices.Count} device(s), values hidden)";
}
