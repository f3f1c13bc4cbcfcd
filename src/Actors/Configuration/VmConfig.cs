using System.Collections.Immutable;
using System.Globalization;
using Haven.Actors.Placement;
using Haven.Actors.Vms;

namespace Haven.Actors.Configuration;

/// <summary>
/// <c>haven.vms</c> as the daemon runs VMs: how a host runs them (<see cref="VmPolicy"/>), how the DC
/// places them (<see cref="PlacementOptions"/>) and each node's capacity by node name (cpu in cores,
/// memory in MiB, the units of a VM's utilization; a node not listed is unlimited).
/// </summary>
public sealed record VmSettings
{
    public VmPolicy Policy { get; init; } = new();

    public PlacementOptions Placement { get; init; } = PlacementOptions.Default;

    public ImmutableDictionary<string, Capacity> Capacities { get; init; } = ImmutableDictionary<string, Capacity>.Empty;
}

/// <summary>
/// Reads and checks <c>haven.vms</c>' policy, <c>placement</c> and <c>capacities</c> into <see cref="VmSettings"/>
/// (the hypervisor settings are the adapters' own). Every problem names its key and where it was written.
/// </summary>
public static class VmConfig
{
    public const string Root = "haven.vms";
    public const string PlacementPath = Root + ".placement";
    public const string CapacitiesPath = Root + ".capacities";

    /// <summary>Upper bound of a node's cpu capacity (cores).</summary>
    public const long MaxNodeCpu = 4096;

    /// <summary>Upper bound of a node's memory capacity (MiB): 64 TiB.</summary>
    public const long MaxNodeMemoryMiB = 64L * 1024 * 1024;

    /// <summary>Upper bound of max-restarts.</summary>
    public const int MaxRestarts = 100;

    private const long BytesPerMiB = 1024 * 1024;
    private static readonly TimeSpan MaxInterval = TimeSpan.FromHours(24);
    private static readonly TimeSpan MaxRestartWindow = TimeSpan.FromDays(30);
    private static readonly string[] CapacityFields = ["cpu", "memory"];
    private static readonly string[] Strategies = ["default", "utilization", "balanced", "minimal"];

    /// <summary>The settings, with reference.conf under <paramref name="config"/>; throws <see cref="ConfigException"/> at the first problem.</summary>
    public static VmSettings Read(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ConfigProblems.ReadOrThrow(config.WithFallback(HavenConfig.Reference), Parse);
    }

    /// <summary>
    /// Every problem of the VM policy, placement and capacities. With <paramref name="nodeNames"/> (the
    /// cluster's listed nodes), a capacity for a node that is not among them is an error.
    /// </summary>
    public static IReadOnlyList<ConfigProblem> Validate(Config config, IReadOnlyCollection<string>? nodeNames = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<ConfigProblem>();
        var full = config.WithFallback(HavenConfig.Reference);
        ConfigProblems.Collect(full, Parse, problems);
        if (nodeNames is { Count: > 0 } && full.TryGetValue(CapacitiesPath, out var capacities) && capacities is HoconObject nodes)
        {
            foreach (var node in nodes.Keys.Where(n => ClusterConfig.IsValidNodeName(n) && !nodeNames.Contains(n)))
            {
                var path = $"{CapacitiesPath}.{ConfigPath.Render([node])}";
                problems.Add(new ConfigProblem(path, $"node {node} is not in haven.cluster.nodes ({string.Join(", ", nodeNames)})", full.Origin(path).ToString()));
            }
        }
        return problems;
    }

    private static VmSettings Parse(Config c, ReportProblem report)
    {
        var defaults = new VmPolicy();
        TimeSpan Duration(string key, TimeSpan fallback, bool zeroAllowed = false, TimeSpan? max = null)
        {
            var path = $"{Root}.{key}";
            if (!TryRead(c, path, c.GetDuration, report, out var value)) return fallback;
            var limit = max ?? MaxInterval;
            string? problem = value < TimeSpan.Zero ? $"{Text(c, path)} must not be negative"
                : value == TimeSpan.Zero && !zeroAllowed ? "must be greater than zero"
                : value > limit ? $"{Text(c, path)} is too long (at most {Render(limit)})"
                : null;
            if (problem is null) return value;
            report(path, problem, c.Origin(path));
            return fallback;
        }

        var policy = new VmPolicy
        {
            MonitorInterval = Duration("monitor-interval", defaults.MonitorInterval),
            PollInterval = Duration("poll-interval", defaults.PollInterval),
            StartTimeout = Duration("start-timeout", defaults.StartTimeout),
            StopTimeout = Duration("stop-timeout", defaults.StopTimeout),
            MigrateTimeout = Duration("migrate-timeout", defaults.MigrateTimeout),
            CallTimeout = Duration("call-timeout", defaults.CallTimeout),
            MaxRestarts = Int($"{Root}.max-restarts", defaults.MaxRestarts, 0, MaxRestarts),
            RestartWindow = Duration("restart-window", defaults.RestartWindow, max: MaxRestartWindow),
            IoPauseGrace = Duration("io-pause-grace", defaults.IoPauseGrace, zeroAllowed: true),
            SyncInterval = Duration("sync-interval", defaults.SyncInterval),
            MigrationThreshold = Int($"{Root}.migration-threshold", defaults.MigrationThreshold, 0, PlacementScores.Infinity),
            FailureTimeout = Duration("failure-timeout", defaults.FailureTimeout, zeroAllowed: true, max: MaxRestartWindow),
            ShutdownLock = TryRead(c, $"{Root}.shutdown-lock", c.GetBoolean, report, out var shutdownLock) ? shutdownLock : defaults.ShutdownLock,
            ShutdownLockLimit = Duration("shutdown-lock-limit", defaults.ShutdownLockLimit, zeroAllowed: true, max: MaxRestartWindow),
        };
        var placement = new PlacementOptions(
            Strategy(c, report),
            Int($"{PlacementPath}.stickiness", 0, 0, PlacementScores.Infinity),
            Int($"{PlacementPath}.batch-limit", 0, 0, int.MaxValue),
            MigrationLimit(c, report));
        return new VmSettings { Policy = policy, Placement = placement, Capacities = Capacities(c, report) };

        int Int(string path, int fallback, int min, int max)
        {
            if (!TryRead(c, path, c.GetInt, report, out var value)) return fallback;
            if (value >= min && value <= max) return value;
            report(path, value < min
                ? string.Create(CultureInfo.InvariantCulture, $"{value} is out of range (at least {min})")
                : string.Create(CultureInfo.InvariantCulture, $"{value} is out of range (at most {max})"), c.Origin(path));
            return fallback;
        }
    }

    private static PlacementStrategy Strategy(Config c, ReportProblem report)
    {
        const string path = PlacementPath + ".strategy";
        if (!TryRead(c, path, c.GetString, report, out var text)) return PlacementStrategy.Default;
        var index = Array.IndexOf(Strategies, text);
        if (index >= 0) return (PlacementStrategy)index;
        report(path, $"invalid value \"{text}\"; expected one of {string.Join(", ", Strategies)}", c.Origin(path));
        return PlacementStrategy.Default;
    }

    private static int MigrationLimit(Config c, ReportProblem report)
    {
        const string path = PlacementPath + ".migration-limit";
        if (!TryRead(c, path, c.GetInt, report, out var value)) return -1;
        if (value != 0) return value < 0 ? -1 : value;
        report(path, "0 is ambiguous: write -1 for unlimited, or the number of live migrations allowed at once (at least 1)", c.Origin(path));
        return -1;
    }

    private static ImmutableDictionary<string, Capacity> Capacities(Config c, ReportProblem report)
    {
        var result = ImmutableDictionary.CreateBuilder<string, Capacity>(StringComparer.Ordinal);
        if (!c.TryGetValue(CapacitiesPath, out var value)) return result.ToImmutable();
        if (value is not HoconObject nodes)
        {
            report(CapacitiesPath, $"expected an object such as {{ n1 {{ cpu = 16, memory = 64GiB }} }}, found {value.Describe()}", value.Origin);
            return result.ToImmutable();
        }
        foreach (var node in nodes.Keys)
        {
            var path = $"{CapacitiesPath}.{ConfigPath.Render([node])}";
            var entry = nodes[node];
            if (ClusterConfig.NodeNameProblem(node) is { } invalid)
            {
                report(path, invalid, entry.Origin);
                continue;
            }
            if (entry is not HoconObject fields)
            {
                report(path, $"expected {{ cpu = CORES, memory = SIZE }}, found {entry.Describe()}", entry.Origin);
                continue;
            }
            var ok = true;
            foreach (var field in fields.Keys.Where(f => !CapacityFields.Contains(f)))
            {
                var near = CapacityFields.MinBy(k => Levenshtein.Distance(k, field))!;
                var hint = Levenshtein.Distance(near, field) <= 2 ? $"did you mean {near}? " : "";
                report($"{path}.{ConfigPath.Render([field])}", $"unknown field {field}; {hint}a capacity has cpu and memory", fields[field].Origin);
                ok = false;
            }
            if (fields.Count == 0)
            {
                report(path, "sets neither cpu nor memory; write { cpu = CORES, memory = SIZE } or leave the node out (unlimited)", entry.Origin);
                ok = false;
            }
            var cpu = fields.TryGetValue("cpu", out var cpuValue) ? Cpu($"{path}.cpu", cpuValue, report) : long.MaxValue;
            var memory = fields.TryGetValue("memory", out var memoryValue) ? MemoryMiB($"{path}.memory", memoryValue, report) : long.MaxValue;
            if (ok && cpu is not null && memory is not null) result[node] = new Capacity(cpu.Value, memory.Value);
        }
        return result.ToImmutable();
    }

    /// <summary>Whole cores, 1..<see cref="MaxNodeCpu"/>; null after reporting a problem.</summary>
    private static long? Cpu(string path, HoconValue value, ReportProblem report)
    {
        if (value is not HoconScalar { ScalarKind: HoconValueKind.Number or HoconValueKind.String } scalar
            || !long.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cores))
        {
            report(path, $"expected a whole number of cores, found {Describe(value)}", value.Origin);
            return null;
        }
        if (cores is >= 1 and <= MaxNodeCpu) return cores;
        report(path, string.Create(CultureInfo.InvariantCulture, $"{cores} cores is out of range (1..{MaxNodeCpu})"), value.Origin);
        return null;
    }

    /// <summary>A size converted to whole MiB (rounded down), 1 MiB..64 TiB; null after reporting a problem.</summary>
    private static long? MemoryMiB(string path, HoconValue value, ReportProblem report)
    {
        if (value is not HoconScalar { ScalarKind: HoconValueKind.Number or HoconValueKind.String } scalar)
        {
            report(path, $"expected a size such as 64GiB, found {value.Describe()}", value.Origin);
            return null;
        }
        var text = scalar.Text.Trim();
        if (text.StartsWith('-'))
        {
            report(path, $"{text} must not be negative", value.Origin);
            return null;
        }
        if (!ConfigUnits.TryParseBytes(text, out var bytes))
        {
            report(path, $"expected a size such as 64GiB or 512MiB, found \"{text}\"", value.Origin);
            return null;
        }
        var mib = bytes / BytesPerMiB;
        if (mib is >= 1 and <= MaxNodeMemoryMiB) return mib;
        var unitless = ConfigUnits.HasUnit(text) ? "" : " (a number without a unit is bytes: write e.g. 64GiB)";
        report(path, string.Create(CultureInfo.InvariantCulture, $"{text} is out of range (1MiB..64TiB){unitless}"), value.Origin);
        return null;
    }

    private static bool TryRead<T>(Config c, string path, Func<string, T> get, ReportProblem report, out T value)
    {
        try
        {
            value = get(path);
            return true;
        }
        catch (ConfigException e)
        {
            report(path, e.Reason, e.Origin ?? new ConfigOrigin(HavenConfig.ReferenceSourceName, 0, 0));
            value = default!;
            return false;
        }
    }

    private static string Text(Config c, string path) => c.GetValue(path) is HoconScalar s ? s.Text : path;

    private static string Describe(HoconValue value) => value is HoconScalar s ? $"\"{s.Text}\"" : value.Describe();

    private static string Render(TimeSpan span) => span > TimeSpan.FromDays(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalDays}d")
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours}h");
}
