using System.Collections.Immutable;

namespace Haven.Actors.Placement;

/// <summary>How utilization counts when choosing a node (Pacemaker's placement-strategy).</summary>
public enum PlacementStrategy
{
    /// <summary>Highest score; ties go to the node with fewest resources. Capacity is still never exceeded.</summary>
    Default,
    /// <summary>Highest score among nodes with room; ties go to the node with fewest resources.</summary>
    Utilization,
    /// <summary>Highest score among nodes with room; ties go to the node with more free capacity in more dimensions
    /// (absolute cpu and memory left, as Pacemaker compares them), then fewest resources (spreads load).</summary>
    Balanced,
    /// <summary>Highest score among nodes with room; ties go to the first node in name order (packs onto few nodes).</summary>
    Minimal,
}

/// <summary>Whether a node can run VMs.</summary>
public enum NodeHealth
{
    /// <summary>A healthy member: VMs on it stay, new ones may go there.</summary>
    Online,
    /// <summary>Gone or unclean: what ran there must be fenced before it starts elsewhere.</summary>
    Lost,
    /// <summary>A member in standby (Pacemaker's node attribute standby): runs nothing, its VMs move away; not fenced.</summary>
    Standby,
    /// <summary>A member in maintenance (node attribute maintenance): its VMs are left as they are (unmanaged), nothing new goes there.</summary>
    Maintenance,
}

/// <summary>What a plan does with a VM.</summary>
public enum PlacementActionKind
{
    /// <summary>Start (from a lost node after fencing, or from stopped).</summary>
    Start,
    /// <summary>Stop on one node, start on another (the VM does not allow live migration).</summary>
    Move,
    /// <summary>Live-migrate from one healthy node to another.</summary>
    Migrate,
    /// <summary>Stop it: it may not run, or fits nowhere any more.</summary>
    Stop,
    /// <summary>Stop a failed VM and start it again, on the same node or (<c>From</c> ≠ <c>To</c>) another (Pacemaker's Recover).</summary>
    Recover,
    /// <summary>Stop and start again on the same node: a VM found running on several nodes stays on one (Pacemaker's Restart).</summary>
    Restart,
}

/// <summary>CPU and memory, as a node's capacity or a VM's need (any unit, as long as node and VM agree).</summary>
public readonly record struct Capacity(long Cpu, long Memory)
{
    /// <summary>A capacity no VM exhausts: for nodes that declare no utilization.</summary>
    public static Capacity Unlimited => new(long.MaxValue, long.MaxValue);
}

/// <summary>A score for running a VM on a node; <see cref="PlacementScores.Banned"/> or lower forbids it.</summary>
public readonly record struct NodePreference(string Node, int Score);

/// <summary>
/// A colocation with another VM (Pacemaker's rsc_colocation): with <see cref="PlacementScores.Infinity"/> (the default) it
/// is hard — never violated, a VM that cannot keep it is not placed — else <paramref name="Score"/> is added to (affinity)
/// or taken from (anti-affinity) the score of the node the other VM runs on. <paramref name="Score"/> is a magnitude (1..INFINITY).
/// </summary>
public readonly record struct VmConstraint(string Vm, int Score = PlacementScores.Infinity)
{
    /// <summary>Whether the constraint is never violated (score INFINITY).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Hard => Score >= PlacementScores.Infinity;

    /// <summary>The score as Pacemaker prints it: INFINITY or the number.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ScoreText => Hard ? "INFINITY" : Score.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Pacemaker's score bounds.</summary>
public static class PlacementScores
{
    /// <summary>INFINITY: scores are clamped here.</summary>
    public const int Infinity = 1_000_000;

    /// <summary>-INFINITY: the VM may never run on that node.</summary>
    public const int Banned = -Infinity;
}

/// <summary>
/// A node the engine may place VMs on. <paramref name="Unclean"/>: lost while expected a member (or its state unknown),
/// so it is fenced whether or not it ran anything (Pacemaker's unclean node); only meaningful when <paramref name="Health"/> is Lost.
/// </summary>
public sealed record PlacementNode(string Name, NodeHealth Health, Capacity Capacity, bool Unclean = false);

/// <summary>
/// A VM to place. <paramref name="CurrentNode"/> is where it runs when <paramref name="Running"/>;
/// <paramref name="Wanted"/> false means it should not run (target-role Stopped);
/// <paramref name="Stickiness"/> overrides the cluster's resource-stickiness;
/// <paramref name="With"/> names VMs it runs with (placed after them, on their node), <paramref name="Apart"/> VMs it never
/// shares a node with (anti-affinity works both ways).
/// </summary>
public sealed record PlacementVm(
    string Name,
    Capacity Utilization,
    string? CurrentNode = null,
    bool Running = false,
    int Priority = 0,
    bool AllowMigrate = false,
    ImmutableArray<NodePreference> Preferences = default,
    bool Wanted = true,
    int? Stickiness = null,
    ImmutableArray<VmConstraint> With = default,
    ImmutableArray<VmConstraint> Apart = default,
    bool Managed = true,
    bool Failed = false,
    ImmutableArray<string> AlsoRunningOn = default,
    int Order = 0);

/// <summary>Cluster-wide placement options (Pacemaker's crm_config and rsc_defaults).</summary>
/// <param name="BatchLimit">actions per wave; 0 = unlimited.</param>
/// <param name="MigrationLimit">live migrations per wave; negative = unlimited.</param>
public sealed record PlacementOptions(
    PlacementStrategy Strategy = PlacementStrategy.Default,
    int ResourceStickiness = 0,
    int BatchLimit = 0,
    int MigrationLimit = -1)
{
    /// <summary>Default strategy, no stickiness, no limits.</summary>
    public static PlacementOptions Default { get; } = new();
}

/// <summary>Everything the engine decides from.</summary>
public sealed record PlacementInput(ImmutableArray<PlacementNode> Nodes, ImmutableArray<PlacementVm> Vms, PlacementOptions Options);

/// <summary>
/// One step of a plan. <paramref name="From"/> is null for a VM that was not running;
/// <paramref name="To"/> is null for a stop. Actions of one <paramref name="Wave"/> may run together
/// (batch-limit and migration-limit), a wave starts after the previous one completed.
/// </summary>
public sealed record PlacementAction(string Vm, PlacementActionKind Action, string? From, string? To, int Wave = 0)
{
    /// <summary>The action as the JSON and the CLI spell it: start, move, migrate, stop.</summary>
    public string ActionName => Action switch
    {
        PlacementActionKind.Start => "start",
        PlacementActionKind.Move => "move",
        PlacementActionKind.Migrate => "migrate",
        PlacementActionKind.Recover => "recover",
        PlacementActionKind.Restart => "restart",
        _ => "stop",
    };
}
