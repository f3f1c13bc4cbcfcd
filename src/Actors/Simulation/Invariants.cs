using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.Simulation;

/// <summary>
/// The invariants of DESIGN.md ("Invariants every test layer checks") as pure functions over what the
/// hosts reported, their journals and the address ledger. Each returns the violations it found, naming
/// the invariant, the step and the hosts. The harness calls them after every step.
/// </summary>
public static class Invariants
{
    /// <summary>At most one partition acts as primary: every Primary host shares one network view and one DC.</summary>
    public static IEnumerable<InvariantViolation> SinglePrimary(int step, IReadOnlyList<HostObservation> hosts)
    {
        var primaries = hosts.Where(h => h.IsPrimary).ToList();
        if (primaries.Count < 2) yield break;
        var components = primaries.GroupBy(h => h.ViewKey).ToList();
        if (components.Count > 1)
            yield return new InvariantViolation(InvariantNames.SinglePrimary, step, Ids(primaries),
                "primaries in different network components: "
                + string.Join(" | ", components.Select(c => $"{string.Join(",", c.Select(h => "n" + h.Node))} see [{c.Key}]")));
        var dcs = primaries.GroupBy(h => h.View!.Dc).ToList();
        if (dcs.Count > 1)
            yield return new InvariantViolation(InvariantNames.SinglePrimary, step, Ids(primaries),
                "primaries disagree on the DC: "
                + string.Join(", ", primaries.Select(h => $"n{h.Node}→{(h.View!.Dc is { } dc ? "n" + dc : "none")}")));
    }

    /// <summary>No address is held (per the ledger) by two powered hosts on the same network side.</summary>
    public static IEnumerable<InvariantViolation> AddressesExclusive(int step, IReadOnlyList<HostObservation> hosts, AddressLedger ledger)
    {
        var byNode = hosts.ToDictionary(h => h.Node);
        foreach (var (ip, holders) in ledger.Holders)
        {
            if (holders.Count < 2) continue;
            var live = holders.Where(n => byNode.TryGetValue(n, out var h) && h.Powered).Select(n => byNode[n]);
            foreach (var side in live.GroupBy(h => h.Side).Where(g => g.Count() > 1))
                yield return new InvariantViolation(InvariantNames.AddressExclusive, step, Ids(side),
                    $"{ip} is held by {string.Join(" and ", side.Select(h => "n" + h.Node))}, live in the same partition");
        }
    }

    /// <summary>
    /// Audits the events of one host's stream from <paramref name="before"/> on: every event must apply
    /// (<see cref="InvariantNames.StreamValid"/>); an address of a lost node (Unreachable or Down) may be
    /// released on its behalf only once it is Fenced or Left, and no address is taken while another node
    /// holds it (<see cref="InvariantNames.RecoveryAfterFence"/>). A rejected event is skipped.
    /// <paramref name="stillHolds"/> (node, address): whether the node physically still holds the address;
    /// when given, a release recorded for a lost node that had already released the address itself (a
    /// demoted host's own release, reconciled later) is not a recovery. Null: every such release counts.
    /// </summary>
    public static (ClusterState State, ImmutableArray<InvariantViolation> Violations) AuditStream(
        int step, NodeId host, ClusterState before, IEnumerable<IClusterEvent> events, long firstIndex = 1,
        Func<NodeId, string, bool>? stillHolds = null)
    {
        var state = before;
        var violations = ImmutableArray.CreateBuilder<InvariantViolation>();
        var index = firstIndex;
        foreach (var e in events)
        {
            var at = $"n{host}'s stream #{index}";
            switch (e)
            {
                case IpReleased r when state.StateOf(r.Node) is NodeState.Unreachable or NodeState.Down
                                       && (stillHolds is null || stillHolds(r.Node, Canonical(r.Ip))):
                    violations.Add(new InvariantViolation(InvariantNames.RecoveryAfterFence, step, [host, r.Node],
                        $"{at}: {r.Ip} released on behalf of n{r.Node} while it is {state.StateOf(r.Node)}, neither fenced nor left"));
                    break;
                case IpTaken t when state.Ips.TryGetValue(Canonical(t.Ip), out var held) && held.Node != t.Node:
                    violations.Add(new InvariantViolation(InvariantNames.RecoveryAfterFence, step, [host, t.Node, held.Node],
                        $"{at}: n{t.Node} took {t.Ip} while n{held.Node} holds it and has not released it"));
                    index++;
                    continue;
            }
            if (state.TryApply(e, out var next, out var reason)) state = next;
            else
                violations.Add(new InvariantViolation(InvariantNames.StreamValid, step, [host],
                    $"{at}: {e} does not apply: {reason}"));
            index++;
        }
        return (state, violations.ToImmutable());
    }

    /// <summary>
    /// Within each network component, the journaled streams of its Primary hosts are prefixes of one
    /// another; when <paramref name="quiescent"/> (no message in flight), their views report one stream
    /// index and digest.
    /// </summary>
    public static IEnumerable<InvariantViolation> JournalPrefix(int step, IReadOnlyList<HostObservation> hosts, bool quiescent)
    {
        foreach (var component in hosts.Where(h => h.IsPrimary).GroupBy(h => h.ViewKey))
        {
            var members = component.OrderBy(h => h.Node).ToList();
            for (var i = 0; i < members.Count; i++)
                for (var j = i + 1; j < members.Count; j++)
                {
                    var (a, b) = (members[i], members[j]);
                    if (StreamObservation.ArePrefixes(a.Stream, b.Stream)) continue;
                    var at = StreamObservation.FirstDifference(a.Stream, b.Stream);
                    var detail = at < 0
                        ? "streams differ"
                        : $"streams differ at #{at + 1}: n{a.Node} has {a.Stream.Events[at]}, n{b.Node} has {b.Stream.Events[at]}";
                    yield return new InvariantViolation(InvariantNames.JournalPrefix, step, [a.Node, b.Node], detail);
                }
            if (!quiescent || members.Count < 2) continue;
            var digests = members.GroupBy(h => (h.View!.StreamIndex, h.View.StreamDigest)).ToList();
            if (digests.Count > 1)
                yield return new InvariantViolation(InvariantNames.JournalPrefix, step, Ids(members),
                    "at quiescence the primary members report different streams: "
                    + string.Join(", ", members.Select(h => $"n{h.Node}=#{h.View!.StreamIndex}/{Short(h.View.StreamDigest)}")));
        }
    }

    /// <summary>
    /// The end state after every fault is cleared: every host runs, is Primary, in one view containing
    /// every host, with one DC and one stream digest; every public address is held by exactly one host,
    /// the one the replicated state names.
    /// </summary>
    public static IEnumerable<InvariantViolation> Convergence(int step, IReadOnlyList<HostObservation> hosts,
        IReadOnlyList<string> addresses, AddressLedger ledger)
    {
        var all = Ids(hosts);
        var notPrimary = hosts.Where(h => !h.IsPrimary).ToList();
        if (notPrimary.Count > 0)
            yield return new InvariantViolation(InvariantNames.Convergence, step, Ids(notPrimary),
                "not every host is primary: " + string.Join(", ", notPrimary.Select(Describe)));
        var everyone = string.Join(",", hosts.Select(h => h.Node).Order());
        var outside = hosts.Where(h => h.ViewKey != everyone).ToList();
        if (outside.Count > 0)
            yield return new InvariantViolation(InvariantNames.Convergence, step, Ids(outside),
                $"not one view of every host [{everyone}]: " + string.Join(", ", outside.Select(h => $"n{h.Node} sees [{h.ViewKey}]")));
        if (hosts.Any(h => h.View is null)) yield break;
        if (hosts.Select(h => h.View!.Dc).Distinct().Count() > 1)
            yield return new InvariantViolation(InvariantNames.Convergence, step, all,
                "hosts disagree on the DC: " + string.Join(", ", hosts.Select(h => $"n{h.Node}→{h.View!.Dc?.ToString() ?? "none"}")));
        if (hosts.Select(h => (h.View!.StreamIndex, h.View.StreamDigest)).Distinct().Count() > 1)
            yield return new InvariantViolation(InvariantNames.Convergence, step, all,
                "stream digests differ: " + string.Join(", ", hosts.Select(h => $"n{h.Node}=#{h.View!.StreamIndex}/{Short(h.View.StreamDigest)}")));
        var state = hosts[0].View!.State;
        // Every host is back as a full member: a lost host that returned was readmitted (after its fence, or by proving
        // what it holds when fencing is impossible), not left Down or Fenced for ever.
        var notUp = hosts.Where(h => state.StateOf(h.Node) != NodeState.Up).ToList();
        if (notUp.Count > 0)
            yield return new InvariantViolation(InvariantNames.Convergence, step, Ids(notUp),
                "not every host is up in the cluster state: " + string.Join(", ", notUp.Select(h => $"n{h.Node} is {state.StateOf(h.Node)?.ToString() ?? "unknown"}")));
        foreach (var ip in addresses)
        {
            var holders = ledger.HoldersOf(ip);
            state.Ips.TryGetValue(ip, out var assigned);
            if (holders.Count != 1)
                yield return new InvariantViolation(InvariantNames.Convergence, step, [.. holders],
                    holders.Count == 0
                        ? $"{ip} is held by no host{(assigned is null ? $" (nodes: {string.Join(", ", state.Nodes.Values.Select(n => $"n{n.Id} {n.State}"))})" : $" (the cluster state says n{assigned.Node})")}"
                        : $"{ip} is held by {string.Join(" and ", holders.Select(n => "n" + n))}");
            else if (assigned is null || assigned.Node != holders[0])
                yield return new InvariantViolation(InvariantNames.Convergence, step, [holders[0]],
                    $"{ip} is on n{holders[0]} but the cluster state says {(assigned is null ? "nobody holds it" : "n" + assigned.Node)}");
        }
    }

    /// <summary>
    /// The VMs after convergence: every started HA VM runs exactly once, on the host the state names, and
    /// the state has it Running (unless every host gave up on it: then it runs nowhere); every other VM the
    /// state has nowhere runs nowhere.
    /// </summary>
    public static IEnumerable<InvariantViolation> VmsConverged(int step, ClusterState state, VmLedger ledger, int nodes)
    {
        foreach (var vm in state.Vms.Values)
        {
            var holders = ledger.HoldersOf(vm.Name);
            var wanted = vm.Desired == Vms.VmDesiredState.Started && vm.Spec.Ha && vm.FailedOn.Count < nodes;
            if (wanted && (vm.State != Vms.VmRunState.Running || vm.Node is not { } node || holders.Count != 1 || holders[0] != node))
                yield return new InvariantViolation(InvariantNames.Convergence, step, [.. holders],
                    $"VM {vm.Name} should run: the state has it {vm.State}{(vm.Node is { } n ? $" on n{n}" : "")}, "
                    + $"it runs on [{string.Join(",", holders.Select(h => "n" + h))}]");
            else if (!wanted && (vm.Node is not null || !holders.IsEmpty))
                yield return new InvariantViolation(InvariantNames.Convergence, step, [.. holders],
                    $"VM {vm.Name} is {vm.State} ({vm.Desired}) in the state but runs on [{string.Join(",", holders.Select(h => "n" + h))}]");
        }
        foreach (var (vm, holders) in ledger.Holders.Where(h => !state.Vms.ContainsKey(h.Key)))
            yield return new InvariantViolation(InvariantNames.Convergence, step, [.. holders], $"unmanaged VM {vm} runs");
    }

    private static string Describe(HostObservation h) =>
        !h.Powered ? $"n{h.Node} is off" : !h.Running ? $"n{h.Node} has no process" : $"n{h.Node} is {h.View?.Role.ToString() ?? "silent"}";

    private static ImmutableArray<NodeId> Ids(IEnumerable<HostObservation> hosts) => hosts.Select(h => h.Node).Order().ToImmutableArray();

    private static string Short(string digest) => digest.Length <= 8 ? digest : digest[..8];

    private static string Canonical(string ip) =>
        System.Net.IPAddress.TryParse(ip, out var parsed) ? parsed.ToString() : ip;
}
