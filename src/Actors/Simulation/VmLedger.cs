using System.Collections.Immutable;
using Haven.Actors.Membership;

namespace Haven.Actors.Simulation;

/// <summary>
/// Which hosts physically run which VM, as a pure fold over what the simulated hypervisors did. A start
/// (or a migration's arrival) while another host still runs the VM — or crashed running it and was never
/// fenced, so nobody knows it is off — is a <see cref="InvariantNames.VmExclusive"/> violation.
/// </summary>
public sealed record VmLedger
{
    public static readonly VmLedger Empty = new();

    /// <summary>Hosts running each VM (a correct run has at most one).</summary>
    public ImmutableSortedDictionary<string, ImmutableSortedSet<NodeId>> Holders { get; private init; } =
        ImmutableSortedDictionary.Create<string, ImmutableSortedSet<NodeId>>(StringComparer.Ordinal);

    /// <summary>Hosts powered off without fencing and not booted since: what they ran counts as still running.</summary>
    public ImmutableSortedSet<NodeId> CrashedUnfenced { get; private init; } = ImmutableSortedSet<NodeId>.Empty;

    public ImmutableSortedSet<NodeId> HoldersOf(string vm) =>
        Holders.TryGetValue(vm, out var set) ? set : ImmutableSortedSet<NodeId>.Empty;

    public (VmLedger Ledger, InvariantViolation? Violation) Started(NodeId host, string vm, int step) => Arrive(host, vm, step, "started", except: host);

    public (VmLedger Ledger, InvariantViolation? Violation) Migrated(NodeId from, NodeId to, string vm, int step)
    {
        var left = Stopped(from, vm);
        return left.Arrive(to, vm, step, $"received by live migration from n{from}", except: to);
    }

    public VmLedger Stopped(NodeId host, string vm)
    {
        var holders = HoldersOf(vm).Remove(host);
        return this with { Holders = holders.IsEmpty ? Holders.Remove(vm) : Holders.SetItem(vm, holders) };
    }

    /// <summary>The host lost power. Fenced: the cluster knows it is off; else it "still runs" its VMs until fenced or booted.</summary>
    public VmLedger PoweredOff(NodeId host, bool fenced) =>
        fenced ? Drop(host) with { CrashedUnfenced = CrashedUnfenced.Remove(host) } : this with { CrashedUnfenced = CrashedUnfenced.Add(host) };

    /// <summary>The host booted: it runs nothing.</summary>
    public VmLedger Booted(NodeId host) => Drop(host) with { CrashedUnfenced = CrashedUnfenced.Remove(host) };

    private (VmLedger, InvariantViolation?) Arrive(NodeId host, string vm, int step, string how, NodeId except)
    {
        var holders = HoldersOf(vm);
        var others = holders.Remove(except);
        InvariantViolation? violation = null;
        if (!others.IsEmpty)
        {
            var who = string.Join(", ", others.Select(o => CrashedUnfenced.Contains(o) ? $"n{o} (crashed, never fenced)" : $"n{o}"));
            violation = new InvariantViolation(InvariantNames.VmExclusive, step, [host, .. others],
                $"VM {vm} {how} on n{host} while it still runs on {who}");
        }
        return (this with { Holders = Holders.SetItem(vm, holders.Add(host)) }, violation);
    }

    private VmLedger Drop(NodeId host)
    {
        var holders = Holders;
        foreach (var (vm, set) in Holders)
        {
            if (!set.Contains(host)) continue;
            var rest = set.Remove(host);
            holders = rest.IsEmpty ? holders.Remove(vm) : holders.SetItem(vm, rest);
        }
        return this with { Holders = holders };
    }
}
