using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.SplitBrain;

namespace Haven.Actors.Simulation;

/// <summary>One simulation run: how many hosts, which seed, how many chaos steps, and what runs on each host.</summary>
public sealed record SimulationOptions
{
    public const int MinNodes = 2;
    public const int MaxNodes = 7;

    public required int Nodes { get; init; }

    public required int Seed { get; init; }

    /// <summary>Chaos steps before the convergence phase.</summary>
    public required int Steps { get; init; }

    /// <summary>Builds each host's ClusterActor.</summary>
    public required ClusterActorFactory Factory { get; init; }

    /// <summary>Floating addresses per node (10.0.0.x/24 on eth0, simulated: no traffic is ever sent).</summary>
    public int AddressesPerNode { get; init; } = 2;

    /// <summary>Managed HA VMs per node (VM-01 upwards, each preferring one node; every other one allows live migration).</summary>
    public int VmsPerNode { get; init; } = 2;

    /// <summary>Virtual time the convergence phase may take after every fault is cleared.</summary>
    public TimeSpan ConvergenceTime { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>The hosts' split-brain stable-after (the fixed and pinned seeds run with <see cref="DefaultStableAfter"/>).</summary>
    public TimeSpan StableAfter { get; init; } = DefaultStableAfter;

    public static readonly TimeSpan DefaultStableAfter = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How the hosts' actors are run between steps: picked by a seeded loop (the default, the fixed seeds and the swarm), or
    /// first in, first out (the pinned seeds found before the loop, and the scenarios).
    /// </summary>
    public SimulationScheduler Scheduler { get; init; } = DefaultScheduler;

    public const SimulationScheduler DefaultScheduler = SimulationScheduler.Loop;

    /// <summary>The kinds of trouble injected (<see cref="SimulationFaults.Classic"/> for the fixed and pinned seeds).</summary>
    public SimulationFaults Faults { get; init; } = SimulationFaults.Classic;

    /// <summary>The manifest registry each host persists with (a fresh one per host).</summary>
    public Func<EventManifestRegistry> Registry { get; init; } = HavenManifests.CreateRegistry;

    /// <summary>Stop the chaos at the first step that violates an invariant (its trace ends there).</summary>
    public bool StopAtFirstViolation { get; init; } = true;

    /// <summary>Where the hosts' actor systems log (none by default; the host name is the system name).</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Called with every trace line as it is written (live progress while debugging a seed).</summary>
    public Action<TraceEntry>? TraceSink { get; init; }

    /// <summary>
    /// The runaway guard: a host whose replicated stream grows past this many events fails the run at once, with a clear
    /// message, instead of running (and holding the stream) for minutes. Null: <see cref="DefaultMaxStreamEvents"/>.
    /// </summary>
    public int? MaxStreamEvents { get; init; }

    /// <summary>The runaway bound's default: 100,000 events plus 100 a chaos step, many times what any sound run writes.</summary>
    public int DefaultMaxStreamEvents => (int)Math.Min(int.MaxValue, 100_000L + 100L * Steps);

    /// <summary>Null when the options are usable, else what is wrong.</summary>
    public string? Validate()
    {
        if (Nodes is < MinNodes or > MaxNodes) return $"nodes must be between {MinNodes} and {MaxNodes}, got {Nodes}";
        if (Steps < 1) return $"steps must be at least 1, got {Steps}";
        if (AddressesPerNode is < 0 or > 30) return $"addresses per node must be between 0 and 30, got {AddressesPerNode}";
        if (VmsPerNode is < 0 or > 30) return $"VMs per node must be between 0 and 30, got {VmsPerNode}";
        if (ConvergenceTime <= TimeSpan.Zero) return $"convergence time must be positive, got {ConvergenceTime}";
        if (StableAfter <= TimeSpan.Zero) return $"stable-after must be positive, got {StableAfter}";
        if (MaxStreamEvents is < 1) return $"the stream bound must be at least 1, got {MaxStreamEvents}";
        return null;
    }

    public ImmutableArray<Member> Members() =>
        Enumerable.Range(1, Nodes).Select(i => new Member(new NodeId((uint)i), $"n{i}")).ToImmutableArray();

    /// <summary>AddressesPerNode × Nodes addresses, 10.0.0.11 upwards.</summary>
    public ImmutableArray<PublicAddress> PublicAddresses() =>
        Enumerable.Range(0, Nodes * AddressesPerNode).Select(i => new PublicAddress($"10.0.0.{11 + i}", 24, "eth0")).ToImmutableArray();

    /// <summary>
    /// What a losing side does with its resources: stop (Pacemaker's default) unless the run enables the
    /// <see cref="SimulationFaults.Pacemaker"/> kind, which draws one from the seed.
    /// </summary>
    public NoQuorumPolicy NoQuorumPolicy => Scenario?.NoQuorumPolicy ?? (!Faults.HasFlag(SimulationFaults.Pacemaker) ? NoQuorumPolicy.Stop
        : Policies[new Random(unchecked(Seed * 48_271 + 3)).Next(Policies.Length)]);

    /// <summary>A scripted scenario's header: it sets the no-quorum-policy and shutdown-lock instead of the seed (null for chaos runs).</summary>
    public ScenarioCluster? Scenario { get; init; }

    /// <summary>
    /// With the <see cref="SimulationFaults.Pacemaker"/> kind, half the seeds run with shutdown-lock (a third of those with a 20 s
    /// shutdown-lock-limit): an operator's clean daemon stop then stops that host's VMs there, locked to it.
    /// </summary>
    public bool ShutdownLock => Scenario?.ShutdownLock ?? Faults.HasFlag(SimulationFaults.Pacemaker) && new Random(unchecked(Seed * 69_621 + 7)).Next(2) == 0;

    public TimeSpan ShutdownLockLimit => Scenario is { } scenario ? scenario.ShutdownLockLimit : ShutdownLock && new Random(unchecked(Seed * 69_621 + 11)).Next(3) == 0 ? TimeSpan.FromSeconds(20) : TimeSpan.Zero;

    private static readonly NoQuorumPolicy[] Policies = [NoQuorumPolicy.Stop, NoQuorumPolicy.Freeze, NoQuorumPolicy.Ignore, NoQuorumPolicy.Demote, NoQuorumPolicy.Fence];

    public SplitBrainSettings SplitBrain() => new()
    {
        Nodes = Members().Select(m => m.Id).ToImmutableArray(),
        NoQuorumPolicy = NoQuorumPolicy,
        StableAfter = StableAfter,
        UseIpHeuristics = true,
        HeuristicAddresses = ["192.0.2.1"],
    };

    /// <summary>The command that replays this run.</summary>
    public string ReplayCommand => ReplayCommandFor(Nodes, Seed, Steps, Faults, StableAfter, Scheduler);

    public static string ReplayCommandFor(int nodes, int seed, int steps, SimulationFaults faults, TimeSpan? stableAfter = null,
        SimulationScheduler scheduler = DefaultScheduler) =>
        string.Create(CultureInfo.InvariantCulture, $"haven simulate --nodes {nodes} --seed {seed} --steps {steps}")
        + (faults == SimulationFaults.Classic ? "" : " --faults " + SimulationFaultNames.Format(faults))
        + (stableAfter is { } s && s != DefaultStableAfter ? string.Create(CultureInfo.InvariantCulture, $" --stable-after {(long)s.TotalMilliseconds}") : "")
        + (scheduler == DefaultScheduler ? "" : " --scheduler " + SimulationSchedulerNames.Format(scheduler));
}

/// <summary>An invariant broken at a step, naming the hosts involved.</summary>
public sealed record InvariantViolation(string Invariant, int Step, ImmutableArray<NodeId> Hosts, string Detail)
{
    public bool Equals(InvariantViolation? other) =>
        other is not null && Invariant == other.Invariant && Step == other.Step && Detail == other.Detail
        && Hosts.SequenceEqual(other.Hosts);

    public override int GetHashCode() => HashCode.Combine(Invariant, Step, Detail, Hosts.Length);

    public override string ToString() =>
        $"step {Step}: {Invariant} [{string.Join(",", Hosts.Select(h => "n" + h))}]: {Detail}";
}

/// <summary>The names of the invariants (used in violations and documentation).</summary>
public static class InvariantNames
{
    /// <summary>All Primary hosts are in one network component and agree on the DC.</summary>
    public const string SinglePrimary = "single-primary";

    /// <summary>No address is held by two live hosts of the same partition.</summary>
    public const string AddressExclusive = "address-exclusive";

    /// <summary>No address is taken while its previous holder is neither fenced nor has released it.</summary>
    public const string AddressHandover = "address-handover";

    /// <summary>A lost node's addresses are released on its behalf only after it was fenced or left.</summary>
    public const string RecoveryAfterFence = "recovery-after-fence";

    /// <summary>Every journaled event applies to the state of the events before it.</summary>
    public const string StreamValid = "stream-valid";

    /// <summary>The streams of a partition's Primary members are prefixes of one another; equal digests at quiescence.</summary>
    public const string JournalPrefix = "journal-prefix";

    /// <summary>A VM never runs on two hosts at once, and never starts elsewhere before its lost host is fenced.</summary>
    public const string VmExclusive = "vm-exclusive";

    /// <summary>After the faults stop: one primary of every host, one digest, every address held exactly once.</summary>
    public const string Convergence = "convergence";

    /// <summary>A host's actor system or actor threw out of the harness, or a host stopped for good.</summary>
    public const string HostFailure = "host-failure";
}

/// <summary>One line of the step trace: what was injected or delivered at a step, at which virtual time.</summary>
public sealed record TraceEntry(int Step, TimeSpan Time, string Action)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Step,5} {Time.TotalSeconds,8:0.000}s {Action}");
}

/// <summary>The outcome of one run.</summary>
public sealed record SimulationResult(
    SimulationOptions Options,
    ImmutableArray<InvariantViolation> Violations,
    ImmutableArray<TraceEntry> Trace,
    bool Converged,
    TimeSpan VirtualTime,
    long MessagesDelivered,
    int FaultsInjected)
{
    public bool Passed => Violations.IsEmpty;

    public string ReplayCommand => Options.ReplayCommand;

    /// <summary>Violations, the step trace and the replay command, for a person.</summary>
    public string Report(int maxTraceLines = int.MaxValue)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"seed {Options.Seed} ({Options.Nodes} nodes, {Options.Steps} steps): {(Passed ? "passed" : $"{Violations.Length} violation(s)")}");
        foreach (var v in Violations) text.AppendLine("  " + v);
        var lines = Trace.Length <= maxTraceLines ? Trace : Trace[^maxTraceLines..];
        if (lines.Length < Trace.Length) text.AppendLine(CultureInfo.InvariantCulture, $"  trace (last {lines.Length} of {Trace.Length} lines):");
        else text.AppendLine("  trace:");
        foreach (var t in lines) text.AppendLine("  " + t);
        text.AppendLine("  replay: " + ReplayCommand);
        return text.ToString();
    }
}
