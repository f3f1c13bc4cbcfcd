using System.Globalization;

namespace Haven.Actors.Simulation;

/// <summary>
/// The kinds of trouble a simulation run injects (swarm testing: each swarm run enables a random subset).
/// <see cref="Classic"/> is what the fixed CI seeds and the pinned regression seeds run with: the kinds the
/// simulation had before the swarm, drawn from the same random streams, so those seeds replay as recorded.
/// The other kinds draw from a stream of their own, and only when enabled.
/// </summary>
[Flags]
public enum SimulationFaults
{
    None = 0,

    /// <summary>The network splits into two or three sides, and heals.</summary>
    Partitions = 1 << 0,

    /// <summary>A host loses power (node down): its VMs die with it.</summary>
    Crashes = 1 << 1,

    /// <summary>A host's Haven process is killed; the host and its VMs stay up.</summary>
    Kills = 1 << 2,

    /// <summary>A stopped host boots, or a killed process is restarted.</summary>
    Restarts = 1 << 3,

    /// <summary>A split partitions and heals a few times in quick succession.</summary>
    Flapping = 1 << 4,

    /// <summary>A host's outgoing messages are held for some steps.</summary>
    Delays = 1 << 5,

    /// <summary>A host's heuristic addresses become unreachable, or reachable again.</summary>
    Heuristics = 1 << 6,

    /// <summary>Fencing a host fails (the device refuses), or works again.</summary>
    FenceFailures = 1 << 7,

    /// <summary>Operator commands: standby, maintenance, vm start/stop/migrate.</summary>
    Operator = 1 << 8,

    /// <summary>A host's monitor fails or passes (CTDB UNHEALTHY).</summary>
    Monitor = 1 << 9,

    /// <summary>A VM crashes, pauses on I/O errors, resumes.</summary>
    Vms = 1 << 10,

    /// <summary>`haven cluster leave`, and a restart after a leave.</summary>
    Leaves = 1 << 11,

    /// <summary>The fence device answers late (the host goes off seconds after the request), or lies: it reports failure but did power the host off.</summary>
    LateFence = 1 << 12,

    /// <summary>A host's timers run slow (2–5 times their period) for one incarnation.</summary>
    SlowTimers = 1 << 13,

    /// <summary>One-way loss between two hosts, as Corosync delivers it: the ring excludes one, then the other, then heals.</summary>
    OneWay = 1 << 14,

    /// <summary>A daemon hangs without dying: it stays in the membership, receives and fires nothing for seconds, then resumes.</summary>
    Hangs = 1 << 15,

    /// <summary>More operator commands racing with faults: ip move, cluster down, the HA switch off and on.</summary>
    Commands = 1 << 16,

    /// <summary>The cluster may have no fencing at all (decided once per seed, for half the seeds): every fence is impossible,
    /// lost hosts' resources stay where they are, and a host that comes back proves what it holds before it is readmitted.</summary>
    NoFencing = 1 << 17,
    /// <summary>
    /// Pacemaker's semantics: the VMs get on-fail values (block, stop, standby, fence) and the run a no-quorum-policy drawn
    /// from the seed; operators unmanage, manage and clean up VMs.
    /// </summary>
    Pacemaker = 1 << 18,

    /// <summary>The kinds the fixed and pinned seeds run with.</summary>
    Classic = Partitions | Crashes | Kills | Restarts | Flapping | Delays | Heuristics | FenceFailures | Operator | Monitor | Vms | Leaves,

    /// <summary>The kinds drawn from their own stream (none of them in <see cref="Classic"/>).</summary>
    Extra = LateFence | SlowTimers | OneWay | Hangs | Commands | NoFencing | Pacemaker,

    All = Classic | Extra,
}

/// <summary>The names of fault kinds on the command line and in regression-seeds.txt (`partitions,late-fence`, `classic`, `all`).</summary>
public static class SimulationFaultNames
{
    private static readonly (SimulationFaults Kind, string Name)[] Kinds =
    [
        (SimulationFaults.Partitions, "partitions"), (SimulationFaults.Crashes, "crashes"), (SimulationFaults.Kills, "kills"),
        (SimulationFaults.Restarts, "restarts"), (SimulationFaults.Flapping, "flapping"), (SimulationFaults.Delays, "delays"),
        (SimulationFaults.Heuristics, "heuristics"), (SimulationFaults.FenceFailures, "fence-failures"),
        (SimulationFaults.Operator, "operator"), (SimulationFaults.Monitor, "monitor"), (SimulationFaults.Vms, "vms"),
        (SimulationFaults.Leaves, "leaves"), (SimulationFaults.LateFence, "late-fence"), (SimulationFaults.SlowTimers, "slow-timers"),
        (SimulationFaults.OneWay, "one-way"), (SimulationFaults.Hangs, "hangs"), (SimulationFaults.Commands, "commands"),
        (SimulationFaults.NoFencing, "no-fencing"),
        (SimulationFaults.Pacemaker, "pacemaker"),
    ];

    /// <summary>Every single kind, in a fixed order.</summary>
    public static IReadOnlyList<SimulationFaults> Each { get; } = Kinds.Select(k => k.Kind).ToArray();

    public static string Names => string.Join(", ", Kinds.Select(k => k.Name));

    /// <summary>`classic`, `all`, `none`, or the kinds' names joined by commas, in a fixed order.</summary>
    public static string Format(SimulationFaults faults)
    {
        if (faults == SimulationFaults.Classic) return "classic";
        if (faults == SimulationFaults.All) return "all";
        if (faults == SimulationFaults.None) return "none";
        return string.Join(",", Kinds.Where(k => faults.HasFlag(k.Kind)).Select(k => k.Name));
    }

    /// <summary>Parses <see cref="Format"/>'s output; false with the unknown name in <paramref name="error"/>.</summary>
    public static bool TryParse(string text, out SimulationFaults faults, out string? error)
    {
        faults = SimulationFaults.None;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "no fault kinds given";
            return false;
        }
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var name = raw.ToLowerInvariant();
            switch (name)
            {
                case "classic": faults |= SimulationFaults.Classic; continue;
                case "all": faults |= SimulationFaults.All; continue;
                case "none": continue;
            }
            var kind = Kinds.FirstOrDefault(k => k.Name == name);
            if (kind.Name is null)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"unknown fault kind '{raw}' (kinds: {Names}, or classic, all, none)");
                return false;
            }
            faults |= kind.Kind;
        }
        return true;
    }
}
