using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Hosts;

/// <summary>What a host does on its own machine because of an applied event (the ClusterActor carries out the address and leave commands, the HostActor the VM ones).</summary>
public abstract record HostCommand
{
    private HostCommand() { }

    /// <summary>Put <paramref name="Address"/> on its interface; without the duplicate-address probe when its last holder was fenced, confirmed off (<paramref name="VacatedBy"/>).</summary>
    public sealed record TakeAddress(PublicAddress Address, bool Probe, NodeId? VacatedBy = null) : HostCommand;

    /// <summary>Take <paramref name="Address"/> off its interface.</summary>
    public sealed record ReleaseAddress(PublicAddress Address) : HostCommand;

    /// <summary>This host has left the cluster: leave the group, answer a waiting clean shutdown.</summary>
    public sealed record LeaveCluster : HostCommand;

    /// <summary>Give the VM's local actor its assignment from the state now (the HostActor's SyncVm).</summary>
    public sealed record SyncVm(string Vm) : HostCommand;

    /// <summary>This host left: the VM must not run here any more.</summary>
    public sealed record VmAbsent(string Vm) : HostCommand;

    /// <summary>
    /// The state gives this host <paramref name="Addresses"/>, but they are not put back now: <paramref name="Unclean"/> may
    /// hold them through events this state never received (<see cref="HostEffects.Reassert"/>).
    /// </summary>
    public sealed record AddressesWait(IReadOnlyList<string> Addresses, IReadOnlyList<NodeId> Unclean) : HostCommand;
}

/// <summary>What the host knows of itself that the replicated state does not say.</summary>
/// <param name="Self">This host.</param>
/// <param name="Left">It has left the cluster (its NodeLeft was applied before).</param>
/// <param name="LocalVms">The VMs it has a local actor for, in the order it keeps them.</param>
/// <param name="Members">The members of its current view (who is lost: <see cref="ClusterState.UncleanNodesSeenFrom"/>).</param>
public sealed record HostFacts(NodeId Self, bool Left, ImmutableArray<string> LocalVms, ImmutableArray<NodeId> Members);

/// <summary>
/// The host's side of an applied replicated event, as a pure function: only the host an event names acts on it
/// (takeip and releaseip for its addresses, reasserting them when it is Up or healthy again, leaving, its VMs'
/// assignments). The DC decides (<see cref="Coordinator.DcRound"/>); every host carries out what the applied
/// events give it. Replay never acts. The CTDB event-script mapping (<see cref="Events.ScriptEventMapper"/>) uses
/// <see cref="ForAddress"/>, so a script's takeip runs exactly when the host takes the address.
/// </summary>
public static class HostEffects
{
    /// <param name="before">The state before <paramref name="e"/>.</param>
    /// <param name="e">The applied event.</param>
    /// <param name="after">The state after it (the one before when the event did not apply).</param>
    /// <param name="host">This host.</param>
    public static ImmutableArray<HostCommand> For(ClusterState before, IClusterEvent e, ClusterState after, HostFacts host)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(host);
        var self = host.Self;
        var commands = ImmutableArray.CreateBuilder<HostCommand>();
        switch (e)
        {
            case NodeUp u when u.Node == self:
            case NodeHealthy h when h.Node == self:
                commands.AddRange(Reassert(after, self, host.Members));
                break;
            case IpTaken or IpReleased:
                if (ForAddress(before, e, self) is { } address) commands.Add(address);
                break;
            case NodeLeft l when l.Node == self:
                commands.Add(new HostCommand.LeaveCluster());
                foreach (var vm in host.LocalVms) commands.Add(new HostCommand.VmAbsent(vm)); // nothing runs here any more
                return commands.ToImmutable();
            case var _ when BecameClean(before, after, self, host.Members):
                commands.AddRange(Reassert(after, self, host.Members)); // what waited for the unclean nodes goes back now
                break;
        }
        if (host.Left) return commands.ToImmutable();
        if (VmEvents.NameOf(e) is { } name) commands.Add(new HostCommand.SyncVm(name));
        else if (Unclean(after, self) != Unclean(before, self) || InMaintenance(before, self) != InMaintenance(after, self))
            foreach (var vm in after.Vms.Keys.Concat(host.LocalVms).Distinct()) commands.Add(new HostCommand.SyncVm(vm));
        return commands.ToImmutable();
    }

    /// <summary>
    /// The address command an <see cref="IpTaken"/> or <see cref="IpReleased"/> gives this host, or null: a take when it
    /// names this host, a release when it names this host and <paramref name="before"/> held the address. The take probes
    /// for duplicates unless the address's last holder was released while a fence device had confirmed it off.
    /// </summary>
    public static HostCommand? ForAddress(ClusterState before, IClusterEvent e, NodeId self)
    {
        ArgumentNullException.ThrowIfNull(before);
        switch (e)
        {
            case IpTaken t when t.Node == self:
                var probe = before.ProbeBeforeTaking(t.Ip);
                NodeId? vacatedBy = probe ? null : before.VacatedByFence.GetValueOrDefault(System.Net.IPAddress.Parse(t.Ip).ToString());
                return new HostCommand.TakeAddress(new PublicAddress(t.Ip, t.Mask, t.Interface), probe, vacatedBy);
            case IpReleased r when r.Node == self && before.Ips.ContainsKey(r.Ip):
                return new HostCommand.ReleaseAddress(new PublicAddress(r.Ip, r.Mask, r.Interface));
            default:
                return null;
        }
    }

    /// <summary>
    /// The addresses <paramref name="state"/> gives this host, to put back on its interfaces (after a reboot, a fence or
    /// a demotion they are gone; taking is idempotent). Only an Up host holds addresses — and a standby or unhealthy one
    /// what nobody else could take; a fenced or downed one waits.
    /// </summary>
    /// <remarks>
    /// The rule (docs/cluster.md, "Why nothing starts twice", point 6): <b>an address this host may not hold any more is put
    /// back only while no node is unclean</b> — <see cref="ClusterState.UncleanNodesSeenFrom"/> the view
    /// <paramref name="members"/>: down, unreachable, being fenced, a primary member never seen joining, or lost from
    /// the view and not downed yet. Putting back is a take like <see cref="IpTaken"/>, and the state that says the address is
    /// this host's may be stale in just the way an unclean node makes it: a primary this stream saw only in part may have
    /// fenced this host or had its release, and given the address to that node (seed 1847119497: n1, fenced and rebooted,
    /// was readmitted by a primary formed from n3's history, which had missed n2's takeover of 10.0.0.11, and put it back
    /// while n2 — lost, its fence refused — still held it). Until they are clean it gets <see cref="HostCommand.AddressesWait"/>;
    /// what it still holds stays (nothing is released), and once the last is clean <see cref="For"/> puts all back.
    /// </remarks>
    public static ImmutableArray<HostCommand> Reassert(ClusterState state, NodeId self, IReadOnlyCollection<NodeId> members)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(members);
        if (state.StateOf(self) is not (NodeState.Up or NodeState.Standby or NodeState.Unhealthy)) return [];
        var held = state.IpsOf(self).ToList();
        if (held.Count == 0) return [];
        var unclean = state.UncleanNodesSeenFrom(members).ToList();
        if (unclean.Count > 0) return [new HostCommand.AddressesWait([.. held.Select(a => a.Ip)], unclean)];
        return [.. held.Select(a => new HostCommand.TakeAddress(new PublicAddress(a.Ip, a.Mask, a.Interface), Probe: true))];
    }

    /// <summary>Whether the last node unclean to this host's view became clean with this event while the state gives it addresses.</summary>
    private static bool BecameClean(ClusterState before, ClusterState after, NodeId self, IReadOnlyCollection<NodeId> members) =>
        after.IpsOf(self).Any() && before.UncleanNodesSeenFrom(members).Any() && !after.UncleanNodesSeenFrom(members).Any();

    /// <summary>Down or Fenced in <paramref name="state"/>, or with a fence request open.</summary>
    public static bool Unclean(ClusterState state, NodeId self)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.StateOf(self) is NodeState.Down or NodeState.Fenced || state.PendingFences.ContainsKey(self);
    }

    private static bool InMaintenance(ClusterState state, NodeId self) => state.StateOf(self) == NodeState.Maintenance;
}
