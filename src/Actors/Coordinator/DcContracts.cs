using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Coordinator;

/// <summary>
/// Everything one DC round reads (<see cref="DcRound.Decide"/>): the replicated state and what only this DC knows —
/// the view, the members' hellos, the node list, its fencing bookkeeping and its VM clock. Immutable: the round
/// changes none of it, and says in its <see cref="DcDecision"/> what the DC keeps for the next round.
/// </summary>
public sealed record DcInputs
{
    public required ClusterState State { get; init; }

    /// <summary>This host, the DC.</summary>
    public required NodeId Self { get; init; }

    /// <summary>The members of the view, by id (with the node list's names).</summary>
    public required ImmutableArray<Member> View { get; init; }

    /// <summary>The view's node ids (the very instance the DC holds: the VM round's idle cache compares it by reference).</summary>
    public required ImmutableArray<NodeId> ViewIds { get; init; }

    /// <summary>The node list's ids.</summary>
    public required ImmutableSortedSet<NodeId> Configured { get; init; }

    /// <summary>The node list (names, and the ids of the addresses' preferred hosts).</summary>
    public required ImmutableArray<Member> Nodes { get; init; }

    public required DateTimeOffset Now { get; init; }

    /// <summary>The configured public addresses and, after them, the extra ones (HA_IP_FILE) not configured already.</summary>
    public ImmutableArray<PublicAddress> PublicAddresses { get; init; } = [];

    /// <summary>Members whose hello of this view is a fresh incarnation's, sent after any NodeLeaving of theirs.</summary>
    public ImmutableHashSet<NodeId> Restarted { get; init; } = [];

    /// <summary>Members lost while in maintenance that were already reported.</summary>
    public ImmutableSortedSet<NodeId> LostInMaintenance { get; init; } = [];

    public DcFencingInputs Fencing { get; init; } = new();

    public DcVmInputs Vms { get; init; } = new();
}

/// <summary>The DC's fencing bookkeeping (CoordinatorActor.Fencing.cs) as the round reads it.</summary>
public sealed record DcFencingInputs
{
    /// <summary>The fencing rules now (this host's, with the cluster-wide settings).</summary>
    public FencingPolicy Policy { get; init; } = new();

    /// <summary>Whether the partition counts as quorate for fencing.</summary>
    public bool Quorate { get; init; } = true;

    /// <summary>Fences this DC has under way (asked of the fence actor, or a confirmation proposed).</summary>
    public ImmutableSortedSet<NodeId> InFlight { get; init; } = [];

    /// <summary>The stream position of each open request's FenceRequested.</summary>
    public ImmutableDictionary<NodeId, long> RequestAt { get; init; } = ImmutableDictionary<NodeId, long>.Empty;

    /// <summary>Fences this DC saw succeed, by request, whose FenceSucceeded may have been lost.</summary>
    public ImmutableDictionary<NodeId, (long RequestAt, string Device, double? Seconds)> Confirmed { get; init; } =
        ImmutableDictionary<NodeId, (long RequestAt, string Device, double? Seconds)>.Empty;

    /// <summary>Priority-delay waits, by request.</summary>
    public ImmutableDictionary<NodeId, (long RequestAt, DateTimeOffset At)> NotBefore { get; init; } =
        ImmutableDictionary<NodeId, (long RequestAt, DateTimeOffset At)>.Empty;

    /// <summary>When a failed fence may be requested again.</summary>
    public ImmutableDictionary<NodeId, DateTimeOffset> RetryAt { get; init; } = ImmutableDictionary<NodeId, DateTimeOffset>.Empty;

    /// <summary>Fences that failed as impossible, with the rules they failed under (cleared when the node joins).</summary>
    public ImmutableDictionary<NodeId, FencingPolicy> Impossible { get; init; } = ImmutableDictionary<NodeId, FencingPolicy>.Empty;

    /// <summary>The same, kept across the node's rejoins (on-fail fences of VMs).</summary>
    public ImmutableDictionary<NodeId, FencingPolicy> NeverPossible { get; init; } = ImmutableDictionary<NodeId, FencingPolicy>.Empty;
}

/// <summary>What the DC's VM round reads besides the state.</summary>
public sealed record DcVmInputs
{
    public VmServices Services { get; init; } = new(ImmutableDictionary<string, IHypervisor>.Empty);

    /// <summary>The inputs of the last round that found nothing to do (compared by reference), or null.</summary>
    public ImmutableArray<object> IdleRound { get; init; }

    /// <summary>When this DC first saw each VM running (appliance-group start delays).</summary>
    public ImmutableDictionary<string, DateTimeOffset> RunningSince { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty.WithComparers(StringComparer.Ordinal);
}

/// <summary>
/// What a DC round decided, for the <see cref="CoordinatorActor"/> to carry out in this order: arm <see cref="WakeUps"/>, propose
/// <see cref="Events"/> (one batch), then take the <see cref="Fences"/> steps; log the <see cref="Notes"/>, and keep
/// <see cref="LostInMaintenance"/>, <see cref="ExpiredImpossible"/>, <see cref="NotBefore"/> and <see cref="VmRound"/> for the next round.
/// </summary>
public sealed record DcDecision
{
    public ImmutableArray<IClusterEvent> Events { get; init; } = [];

    /// <summary>Rounds due later (a fence retry, an appliance group's start delay), armed before the proposal.</summary>
    public ImmutableArray<DcWakeUp> WakeUps { get; init; } = [];

    /// <summary>The open fence requests this DC acts on now, after the proposal, in target order.</summary>
    public ImmutableArray<FenceStep> Fences { get; init; } = [];

    public ImmutableArray<DcNote> Notes { get; init; } = [];

    /// <summary>Members lost in maintenance reported so far (replaces the input's).</summary>
    public ImmutableSortedSet<NodeId> LostInMaintenance { get; init; } = [];

    /// <summary>Impossible fences whose rules changed since: forgotten, they are requested again.</summary>
    public ImmutableArray<NodeId> ExpiredImpossible { get; init; } = [];

    /// <summary>Priority-delay waits begun this round.</summary>
    public ImmutableDictionary<NodeId, (long RequestAt, DateTimeOffset At)> NotBefore { get; init; } =
        ImmutableDictionary<NodeId, (long RequestAt, DateTimeOffset At)>.Empty;

    /// <summary>The VM round's idle cache and clock when the VM round ran; null when it did not (nothing changed).</summary>
    public DcVmRound? VmRound { get; init; }
}

/// <summary>A round due after <paramref name="After"/>; a later wake-up with the same key replaces it.</summary>
public sealed record DcWakeUp(string Key, TimeSpan After);

/// <summary>What the VM round leaves for the next one.</summary>
public sealed record DcVmRound(ImmutableArray<object> IdleRound, ImmutableDictionary<string, DateTimeOffset> RunningSince);

/// <summary>One open fence request the DC acts on.</summary>
public abstract record FenceStep(NodeId Target)
{
    /// <summary>A fence this DC saw succeed for this very request: its FenceSucceeded is proposed again (alone), nothing powered off twice.</summary>
    public sealed record Repropose(FenceSucceeded Event) : FenceStep(Event.Target);

    /// <summary>Fence the node: the command for the fence actor.</summary>
    public sealed record Start(FenceNode Command) : FenceStep(Command.Target.Node);

    /// <summary>The two-host priority delay is not over: a round when it is.</summary>
    public sealed record Wait(NodeId Node, DcWakeUp WakeUp) : FenceStep(Node);
}

/// <summary>What a round has to say in the DC's log.</summary>
public abstract record DcNote
{
    /// <summary>A member lost while in maintenance (said once per loss).</summary>
    public sealed record LostInMaintenance(string Node) : DcNote;

    /// <summary>A Down or Fenced member that reported its holdings, not readmitted yet.</summary>
    public sealed record NotReadmitted(string Node, string Problem) : DcNote;

    /// <summary>A VM's on-fail fence that cannot be carried out: blocked instead.</summary>
    public sealed record FenceBlocked(string Vm, string Node, string Reason) : DcNote;

    /// <summary>The DC waits before fencing its two-host peer, which held more.</summary>
    public sealed record PriorityDelay(TimeSpan Delay, string Node) : DcNote;
}
