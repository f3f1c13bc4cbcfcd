using System.Collections.Immutable;
using Haven.Actors.Configuration;

namespace Haven.Actors.Fencing;

/// <summary>
/// The fencing rules (<see cref="FencingPolicy"/>) as settings, and how they apply live: the DC takes the
/// rules anew for every fence — this host's own (reference.conf &lt; its file), with each rule that is set
/// cluster-wide (<c>haven config set</c>) and not in this host's file taken from the cluster-wide value.
/// </summary>
public static class FencingRulesConfig
{
    public const string EnabledKey = FencingConfig.Root + ".enabled";
    public const string MinHostsKey = FencingConfig.Root + ".min-hosts";
    public const string QuorumRequiredKey = FencingConfig.Root + ".quorum-required";
    public const string RecoverOnFailureKey = FencingConfig.Root + ".recover-on-failure";
    public const string RebootLoneHostKey = FencingConfig.Root + ".reboot-lone-host";
    public const string PriorityDelayKey = FencingConfig.Root + ".priority-delay";
    public const string RebootCommandKey = FencingConfig.Root + ".reboot-command";

    /// <summary>The rules of a configuration that has reference.conf under it.</summary>
    public static FencingPolicy Read(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new FencingPolicy
        {
            Enabled = config.GetBoolean(EnabledKey),
            MinHosts = config.GetInt(MinHostsKey),
            QuorumRequired = config.GetBoolean(QuorumRequiredKey),
            RecoverOnFailure = config.GetBoolean(RecoverOnFailureKey),
            RebootLoneHost = config.GetBoolean(RebootLoneHostKey),
            PriorityDelay = config.GetDuration(PriorityDelayKey),
        };
    }

    /// <summary>
    /// The rules now: <paramref name="own"/> (this host's own rules) with every rule whose effective value
    /// comes from the cluster-wide settings replaced by it. A value no rule could use (min-hosts below 1, a
    /// negative priority delay: refused by <c>haven config set</c>, so only from a stray event) is clamped.
    /// </summary>
    public static FencingPolicy Live(FencingPolicy own, EffectiveSettings effective)
    {
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(effective);
        var config = effective.Config;
        bool Cluster(string key) => effective.TryGet(key, out var setting) && setting.Source == SettingSource.Cluster;
        return own with
        {
            Enabled = Cluster(EnabledKey) ? config.GetBoolean(EnabledKey) : own.Enabled,
            MinHosts = Cluster(MinHostsKey) ? Math.Max(1, config.GetInt(MinHostsKey)) : own.MinHosts,
            QuorumRequired = Cluster(QuorumRequiredKey) ? config.GetBoolean(QuorumRequiredKey) : own.QuorumRequired,
            RecoverOnFailure = Cluster(RecoverOnFailureKey) ? config.GetBoolean(RecoverOnFailureKey) : own.RecoverOnFailure,
            RebootLoneHost = Cluster(RebootLoneHostKey) ? config.GetBoolean(RebootLoneHostKey) : own.RebootLoneHost,
            PriorityDelay = Cluster(PriorityDelayKey) ? Max(TimeSpan.Zero, config.GetDuration(PriorityDelayKey)) : own.PriorityDelay,
        };
    }

    /// <summary>The default of <c>haven.fencing.reboot-command</c>.</summary>
    public static readonly ImmutableArray<string> DefaultRebootCommand = ["systemctl", "reboot", "--force"];

    /// <summary>
    /// Null when <paramref name="argv"/> can be run as this host's reboot command (run directly, never through
    /// a shell): at least the command; the command an absolute path or a bare name looked up in PATH; no empty
    /// command and no NUL or line break anywhere. Else what is wrong.
    /// </summary>
    public static string? RebootCommandProblem(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0) return "must name a command, e.g. [\"systemctl\", \"reboot\", \"--force\"]";
        var command = argv[0];
        if (command.Trim().Length == 0) return "the command (first element) is empty";
        if (command != command.Trim()) return $"the command \"{command}\" has leading or trailing blanks (it is run directly, not through a shell)";
        if (command.Contains('/') && !command.StartsWith('/'))
            return $"the command \"{command}\" is a relative path; write an absolute path (/sbin/reboot) or a bare name looked up in PATH (systemctl)";
        for (var i = 0; i < argv.Count; i++)
        {
            if (argv[i].IndexOfAny(['\0', '\n', '\r']) >= 0) return $"element {i + 1} contains a NUL or a line break";
        }
        return null;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
