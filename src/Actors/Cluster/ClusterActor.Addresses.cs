using Haven.Actors.Hosts;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// Floating addresses on this host: taking and reasserting on this host (with retries), and how a
/// holder lets go first — standby and unhealthy hosts hand theirs over, an operator's move releases on the holder.
/// </summary>
public sealed partial class ClusterActor
{
    /// <summary>The configured public addresses and, after them, the extra ones (HA_IP_FILE) not configured already.</summary>
    private List<PublicAddress> PublicAddressesNow()
    {
        var all = _options.PublicAddresses.ToList();
        var seen = all.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        all.AddRange(_extraAddresses.Where(a => seen.Add(a.Ip)));
        return all;
    }

    /// <summary>
    /// On becoming primary, this host puts back on its interfaces every address the (primary's) state
    /// gives it (<see cref="HostEffects.Reassert"/>): after a reboot or a fence they are gone, after a demotion it
    /// released them. Taking is idempotent. Only while no node is unclean to this view: the state that gives them may
    /// miss what such a node did (<see cref="ClusterState.UncleanNodesSeenFrom"/>); they go back once it is clean.
    /// </summary>
    private void ReassertAddresses()
    {
        foreach (var command in HostEffects.Reassert(_state, Me, _viewIds)) CarryOut(command);
    }

    /// <summary>This host's <see cref="HostActor"/> child: it carries out every takeip and releaseip of this host, in the order asked, and keeps its VmActors.</summary>
    private IActorRef Host => _host ??= Context.ActorOf(HostActor.Props(_options.Self, _deps.Addresses, VmServices,
        _options.SplitBrain.UseIpHeuristics ? _deps.Reachability : null, _options.HeuristicsInterval), "host");

    private IActorRef? _host;

    /// <summary>
    /// Takes an address the state gives this host (the <see cref="HostActor"/> does it). A failure (another machine still
    /// answers for it — its previous holder may not have let go yet — or a command failed) comes back as
    /// <see cref="IpTakeFailed"/> and is retried with backoff (1 s, 2 s, 4 s, … up to 30 s) for as long as the state gives
    /// it to this Up host. Retries and reassertions always probe; only the first take of an address vacated by a fence may
    /// skip it (<see cref="HostEffects.ForAddress"/>).
    /// </summary>
    private void Take(PublicAddress address, int attempt, bool probe = true) => Host.Tell(new TakeIp(address, probe, attempt), Self);

    /// <summary>Releases addresses on this host's interfaces (the <see cref="HostActor"/> does it, logging a failure); <paramref name="report"/> comes back in <see cref="IpsReleased"/>.</summary>
    private void Release(IEnumerable<PublicAddress> addresses, object? report = null) => Host.Tell(new ReleaseIps([.. addresses], report), Self);

    private static PublicAddress AddressOf(IpAssignment a) => new(a.Ip, a.Mask, a.Interface);

    private void OnIpTakeFailed(IpTakeFailed failed) => OnRetryTake(new RetryTake(failed.Ip, failed.Attempt + 1, Due: false));

    /// <summary>What a release asked with a report tells: a hand-over or move, a demotion, a rejoin (ClusterActor.Rejoin.cs).</summary>
    private void OnIpsReleased(IpsReleased released)
    {
        switch (released.Report)
        {
            case AddressesReleasedLocally done when released.Failure is null:
                OnAddressesReleasedLocally(done);
                break;
            case AddressesReleasedLocally:
                OnAddressReleaseFailed(new AddressReleaseFailed(released.Failure!));
                break;
            case AddressesReleasedOnDemotion demotion when released.Failure is null:
                OnAddressesReleasedOnDemotion(demotion);
                break;
            case RejoinRelease rejoin:
                OnRejoinReleased(rejoin, released.Failure);
                break;
        }
    }

    private void OnRetryTake(RetryTake retry)
    {
        if (!_state.Ips.TryGetValue(retry.Ip, out var held) || held.Node != Me || _state.StateOf(Me) != NodeState.Up
            || _role != PartitionRole.Primary || _releasing.Contains(retry.Ip)) return;
        if (_state.UncleanNodesSeenFrom(_viewIds).Any()) return; // a take waits for them as a reassertion does; it is put back once they are clean
        if (retry.Due)
        {
            Take(new PublicAddress(held.Ip, held.Mask, held.Interface), retry.Attempt);
            return;
        }
        var delay = TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(retry.Attempt - 1, 5)));
        Timers.StartSingleTimer($"take-{retry.Ip}", retry with { Due = true }, delay);
    }

    private void ReleaseThenMove(IpAssignment held, NodeId target) => ReleaseLocally([held], target);

    /// <summary>
    /// The addresses this host has begun to give away (a hand-over, an operator's move): released on its interfaces,
    /// their <see cref="IpReleased"/> not applied yet. None of them is put back meanwhile — the state still gives them to
    /// this host, and a reassertion between the local release and its replicated release would hold the address again
    /// while the release hands it to another (swarm seed 1147025286: the last unclean node's fence made n4 reassert
    /// 10.0.0.19 during its move to n3). An address leaves the set once a release of it is applied, the release is
    /// abandoned (view changed, failed, nothing left to release), or a new primary puts back what the state gives.
    /// </summary>
    private readonly HashSet<string> _releasing = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="ip"/> (canonical) is being given away by this host (<see cref="_releasing"/>).</summary>
    private bool Releasing(string ip) => _releasing.Contains(ip);

    /// <summary>A release of <paramref name="ip"/> was applied: it is given away no more.</summary>
    private void ReleaseApplied(string ip) =>
        _releasing.Remove(System.Net.IPAddress.TryParse(ip, out var address) ? address.ToString() : ip);

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

    /// <summary>Releases the addresses on this host's interfaces (the <see cref="HostActor"/>), which answers with <see cref="AddressesReleasedLocally"/>.</summary>
    private void ReleaseLocally(List<IpAssignment> held, NodeId? moveTo)
    {
        foreach (var a in held) _releasing.Add(a.Ip);
        var done = new AddressesReleasedLocally(_viewId, held, moveTo, held.ToDictionary(a => a.Ip, a => _state.HoldingOf(a.Ip), StringComparer.Ordinal));
        Release(held.Select(AddressOf), done);
    }

    private void OnAddressesReleasedLocally(AddressesReleasedLocally done)
    {
        if (done.MoveTo is null) _handingOver = false;
        if (done.ViewId != _viewId || _role != PartitionRole.Primary || !_viewSynced)
        {
            foreach (var a in done.Released) _releasing.Remove(a.Ip);
            // The view changed meanwhile: if the state still gives them to this host and it is Up again, put them back.
            ReassertAddresses();
            return;
        }
        var events = new List<IClusterEvent>();
        foreach (var a in done.Released.Where(a => _state.Ips.TryGetValue(a.Ip, out var h) && h.Node == Me))
        {
            events.Add(new IpReleased(a.Interface, a.Ip, a.Mask, Me, done.Holdings[a.Ip]));
            if (done.MoveTo is { } target) events.Add(new IpTaken(a.Interface, a.Ip, a.Mask, target));
        }
        foreach (var a in done.Released.Where(a => !events.OfType<IpReleased>().Any(r => r.Ip == a.Ip))) _releasing.Remove(a.Ip);
        if (events.Count > 0) MulticastEvents(events);
        else ReassertAddresses();
    }

    private void OnAddressReleaseFailed(AddressReleaseFailed failed)
    {
        _handingOver = false;
        _releasing.Clear();
        Log.LogError("Could not release this host's addresses to hand them over: {Reason}; they stay here", failed.Reason);
        ReassertAddresses();
    }

    /// <summary><paramref name="Holdings"/>: each address's holding when its release began (the release answers that one).</summary>
    private sealed record AddressesReleasedLocally(long ViewId, IReadOnlyList<IpAssignment> Released, NodeId? MoveTo,
        IReadOnlyDictionary<string, long> Holdings);

    private sealed record AddressReleaseFailed(string Reason);
}
