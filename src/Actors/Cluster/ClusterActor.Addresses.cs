using Haven.Actors.FloatingIps;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// Floating addresses: the DC's allocation round, taking and reasserting on this host (with retries), and how a
/// holder lets go first — standby and unhealthy hosts hand theirs over, an operator's move releases on the holder.
/// </summary>
public sealed partial class ClusterActor
{
    /// <summary>
    /// CTDB's order: startrecovery, releaseip for what fenced or departed hosts held (bookkeeping: they cannot be
    /// asked) and for addresses no longer configured, takeip on the new holders, ipreallocated, recovered.
    /// Standby and unhealthy hosts release their own (<see cref="HandOverAddresses"/>); addresses on a host in
    /// maintenance never move.
    /// </summary>
    private void RecoverResources(Plan plan)
    {
        var state = plan.State;
        var configured = PublicAddressesNow();
        var configuredIps = configured.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        var pinned = state.Ips.Values.Where(a => state.StateOf(a.Node) == NodeState.Maintenance).Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        var gone = state.Ips.Values.Where(a => state.StateOf(a.Node) is NodeState.Fenced or NodeState.Left or null).ToList();
        var unconfigured = state.Ips.Values.Where(a => !configuredIps.Contains(a.Ip) && !pinned.Contains(a.Ip) && !gone.Contains(a)).ToList();
        // While any node is unclean (down, unreachable, being fenced, or a primary member never seen joining) no
        // address moves: it may hold addresses this primary does not know of (events it applied alone before it was lost).
        var unclean = state.UncleanNodes.Any();
        var eligible = unclean ? [] : _view.Select(m => m.Id)
            .Where(id => state.StateOf(id) == NodeState.Up && !state.Demoted.Contains(id)).ToList();
        var allocation = AddressAllocator.Allocate(
            configured.Where(a => !pinned.Contains(a.Ip)).Select(a => new FloatingAddress(a.Ip, a.Mask, a.Interface, NodeIdOf(a.PreferredHost), a.Group)),
            state.Ips.Values.Where(a => !pinned.Contains(a.Ip) && configuredIps.Contains(a.Ip)).ToDictionary(a => a.Ip, a => a.Node),
            eligible);
        // Addresses move only when free or held by a fenced or departed host; a live holder hands over itself.
        var freed = gone.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        var takes = allocation.Moves.Where(m => m.TakeOn is not null && (m.ReleaseFrom is null || freed.Contains(m.Ip))).ToList();
        var releases = gone.Concat(unconfigured).OrderBy(a => a.Ip, StringComparer.Ordinal).ToList();
        var work = releases.Count > 0 || takes.Count > 0;
        if (work && !state.RecoveryInProgress) plan.Add(new RecoveryStarted(Me));
        if (!plan.State.RecoveryInProgress) return;
        foreach (var a in releases) plan.Add(new IpReleased(a.Interface, a.Ip, a.Mask, a.Node));
        foreach (var m in takes) plan.Add(new IpTaken(m.Interface, m.Ip, m.Mask, m.TakeOn!.Value));
        if (!work) // nothing left to move: close the round
        {
            plan.Add(new IpReallocated());
            plan.Add(new RecoveryCompleted());
        }
    }

    /// <summary>The configured public addresses and, after them, the extra ones (HA_IP_FILE) not configured already.</summary>
    private List<PublicAddress> PublicAddressesNow()
    {
        var all = _options.PublicAddresses.ToList();
        var seen = all.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        all.AddRange(_extraAddresses.Where(a => seen.Add(a.Ip)));
        return all;
    }

    private NodeId? NodeIdOf(string? name) => name is null ? null : _options.Nodes.FirstOrDefault(n => n.Name == name)?.Id;

    /// <summary>
    /// On becoming primary, this host puts back on its interfaces every address the (primary's) state
    /// gives it: after a reboot or a fence they are gone, after a demotion it released them. Nobody else
    /// holds them — the state says so — and taking is idempotent.
    /// </summary>
    private void ReassertAddresses()
    {
        // Only an Up host holds addresses; a fenced or downed one waits: the DC releases what it held,
        // or its NodeUp brings it back here.
        // Standby and unhealthy hosts too: they keep what nobody else could take (HandOverAddresses gives it away).
        if (_state.StateOf(Me) is not (NodeState.Up or NodeState.Standby or NodeState.Unhealthy)) return;
        foreach (var a in _state.IpsOf(Me)) Take(new PublicAddress(a.Ip, a.Mask, a.Interface), 0);
    }

    /// <summary>
    /// Whether the take that <paramref name="before"/> is followed by probes for duplicates first: not when the address's
    /// last holder was released while a fence device had confirmed it off (the replicated state says so, so every host
    /// and every replay agrees). A clean release, recover-on-failure or an operator's confirmation keeps the probe.
    /// </summary>
    private bool ProbeFor(ClusterState before, string ip)
    {
        if (before.ProbeBeforeTaking(ip)) return true;
        var holder = before.VacatedByFence.GetValueOrDefault(System.Net.IPAddress.Parse(ip).ToString());
        Log.LogInformation("Taking {Ip} without a duplicate-address probe: its last holder {Node} was fenced, confirmed off, while it held it",
            ip, NameOf(holder));
        return false;
    }

    /// <summary>
    /// Takes an address the state gives this host. A failure (another machine still answers for it — its
    /// previous holder may not have let go yet — or a command failed) is logged and retried with backoff
    /// (1 s, 2 s, 4 s, … up to 30 s) for as long as the state gives it to this Up host. Retries and reassertions
    /// always probe; only the first take of an address vacated by a fence may skip it (<see cref="ProbeFor"/>).
    /// </summary>
    private void Take(PublicAddress address, int attempt, bool probe = true)
    {
        var self = Self;
        Task task;
        try
        {
            task = _deps.Addresses.TakeAsync(address, probe, CancellationToken.None);
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }
        task.ContinueWith(t =>
            {
                Log.LogError("Could not take {Ip} (attempt {Attempt}): {Reason}; retrying while it is this host's",
                    address.Ip, attempt + 1, t.Exception?.GetBaseException().Message);
                self.Tell(new RetryTake(address.Ip, attempt + 1, Due: false), self);
            },
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnRetryTake(RetryTake retry)
    {
        if (!_state.Ips.TryGetValue(retry.Ip, out var held) || held.Node != Me || _state.StateOf(Me) != NodeState.Up
            || _role != PartitionRole.Primary) return;
        if (retry.Due)
        {
            Take(new PublicAddress(held.Ip, held.Mask, held.Interface), retry.Attempt);
            return;
        }
        var delay = TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(retry.Attempt - 1, 5)));
        Timers.StartSingleTimer($"take-{retry.Ip}", retry with { Due = true }, delay);
    }

    private void ReleaseThenMove(IpAssignment held, NodeId target) => ReleaseLocally([held], target);

    // ---- standby and unhealthy hosts hand their addresses over ----------------------------------------

    private bool _handingOver;

    /// <summary>
    /// A standby or unhealthy host gives its addresses away once another host can take them (a leaving host at
    /// once, whether or not another can): it releases them on
    /// its interfaces first and then multicasts the releases, so the DC gives them to another host only when they
    /// are really gone from this one (CTDB releases everywhere before anyone takes).
    /// </summary>
    private void HandOverAddresses()
    {
        if (_handingOver || _role != PartitionRole.Primary || !_viewSynced) return;
        if (_state.StateOf(Me) is not (NodeState.Standby or NodeState.Unhealthy or NodeState.Leaving)) return;
        var held = _state.IpsOf(Me).ToList();
        if (held.Count == 0) return;
        if (_state.StateOf(Me) != NodeState.Leaving) // a leaving host lets go of what it was given while it asked to leave
        {
            if (_state.UncleanNodes.Any()) return; // nothing moves while a node is unclean
            var taker = _view.Any(m => m.Id != Me && _state.StateOf(m.Id) == NodeState.Up && !_state.Demoted.Contains(m.Id));
            if (!taker) return; // keep serving them: nobody else could
        }
        _handingOver = true;
        ReleaseLocally(held, moveTo: null);
    }

    /// <summary>Releases the addresses on this host's interfaces, then tells itself (<see cref="AddressesReleasedLocally"/>).</summary>
    private void ReleaseLocally(List<IpAssignment> held, NodeId? moveTo)
    {
        var self = Self;
        var done = new AddressesReleasedLocally(_viewId, held, moveTo);
        var releases = held.Select(a => _deps.Addresses.ReleaseAsync(new PublicAddress(a.Ip, a.Mask, a.Interface), CancellationToken.None)).ToArray();
        Task.WhenAll(releases).ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) self.Tell(done, self);
                else self.Tell(new AddressReleaseFailed(t.Exception?.GetBaseException().Message ?? "cancelled"), self);
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnAddressesReleasedLocally(AddressesReleasedLocally done)
    {
        if (done.MoveTo is null) _handingOver = false;
        if (done.ViewId != _viewId || _role != PartitionRole.Primary || !_viewSynced)
        {
            // The view changed meanwhile: if the state still gives them to this host and it is Up again, put them back.
            ReassertAddresses();
            return;
        }
        var events = new List<IClusterEvent>();
        foreach (var a in done.Released.Where(a => _state.Ips.TryGetValue(a.Ip, out var h) && h.Node == Me))
        {
            events.Add(new IpReleased(a.Interface, a.Ip, a.Mask, Me));
            if (done.MoveTo is { } target) events.Add(new IpTaken(a.Interface, a.Ip, a.Mask, target));
        }
        if (events.Count > 0) MulticastEvents(events);
        else ReassertAddresses();
    }

    private void OnAddressReleaseFailed(AddressReleaseFailed failed)
    {
        _handingOver = false;
        Log.LogError("Could not release this host's addresses to hand them over: {Reason}; they stay here", failed.Reason);
        ReassertAddresses();
    }

    private sealed record AddressesReleasedLocally(long ViewId, IReadOnlyList<IpAssignment> Released, NodeId? MoveTo);

    private sealed record AddressReleaseFailed(string Reason);
}
