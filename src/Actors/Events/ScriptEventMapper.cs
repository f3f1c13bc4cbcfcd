using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Hosts;
using Haven.Actors.Membership;

namespace Haven.Actors.Events;

/// <summary>
/// What the mapper remembers between events: addresses this host released from one interface whose take on
/// another interface follows in the same run of address events (their updateip runs at the take).
/// </summary>
public sealed record ScriptMapperState(ImmutableDictionary<string, string> MovingFrom)
{
    public static readonly ScriptMapperState Empty = new(ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal));
}

/// <summary>
/// Maps an applied replicated event to this host's CTDB script events, in the order the stream gives them:
/// <list type="bullet">
/// <item><see cref="RecoveryStarted"/> → startrecovery, <see cref="IpReallocated"/> → ipreallocated,
/// <see cref="RecoveryCompleted"/> → recovered (on every host, as CTDB runs them);</item>
/// <item><see cref="IpTaken"/> naming this host → takeip(iface, ip, mask);</item>
/// <item><see cref="IpReleased"/> naming this host, for an address the state before held → releaseip(iface, ip, mask)
/// — both exactly when the host itself takes or releases it (<see cref="HostEffects.ForAddress"/>);</item>
/// <item>a release by this host followed, in the same run of address events, by its take of the same address on
/// another interface is a move: nothing at the release, updateip(old, new, ip, mask) at the take.</item>
/// </list>
/// Everything else maps to nothing. Pure: the same inputs always give the same script events.
/// </summary>
public static class ScriptEventMapper
{
    /// <param name="mapper">What earlier events left (deferred releases).</param>
    /// <param name="before">The cluster state before <paramref name="applied"/>.</param>
    /// <param name="applied">The replicated event.</param>
    /// <param name="self">This host.</param>
    /// <param name="following">The events journaled after it that are known now (for moves); may be empty.</param>
    public static (ScriptMapperState Mapper, ImmutableArray<ScriptEvent> Events) Map(
        ScriptMapperState mapper, ClusterState before, IClusterEvent applied, NodeId self, IReadOnlyList<IClusterEvent> following)
    {
        ArgumentNullException.ThrowIfNull(mapper);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(following);
        switch (applied)
        {
            case RecoveryStarted:
                return (mapper, [new ScriptEvent.StartRecovery()]);
            case IpReallocated:
                return (mapper, [new ScriptEvent.IpReallocated()]);
            case RecoveryCompleted:
                return (mapper, [new ScriptEvent.Recovered()]);
            case IpReleased r when HostEffects.ForAddress(before, r, self) is HostCommand.ReleaseAddress:
                return MovesTo(r, self, following) is not null
                    ? (mapper with { MovingFrom = mapper.MovingFrom.SetItem(r.Ip, r.Interface) }, [])
                    : (mapper, [new ScriptEvent.ReleaseIp(r.Interface, r.Ip, r.Mask)]);
            case IpTaken t when HostEffects.ForAddress(before, t, self) is HostCommand.TakeAddress:
                return mapper.MovingFrom.TryGetValue(t.Ip, out var from)
                    ? (mapper with { MovingFrom = mapper.MovingFrom.Remove(t.Ip) }, [new ScriptEvent.UpdateIp(from, t.Interface, t.Ip, t.Mask)])
                    : (mapper, [new ScriptEvent.TakeIp(t.Interface, t.Ip, t.Mask)]);
            default:
                return (mapper, []);
        }
    }

    /// <summary>The take by this host of the released address on another interface, within the run of address events that follows.</summary>
    private static IpTaken? MovesTo(IpReleased released, NodeId self, IReadOnlyList<IClusterEvent> following)
    {
        foreach (var e in following)
        {
            switch (e)
            {
                case IpTaken t when t.Ip == released.Ip:
                    return t.Node == self && t.Interface != released.Interface ? t : null;
                case IpReleased r when r.Ip == released.Ip:
                    return null;
                case IpTaken or IpReleased:
                    continue;
                default:
                    return null; // the run of address events ended
            }
        }
        return null;
    }
}

/// <summary>
/// The "cluster" stream as the ClusterActor applies it, rebuilt from the journal: replicated events change the
/// state when they apply (a refused record is kept, as the ClusterActor keeps it), a <see cref="StreamSnapshot"/>
/// sets the state (the journal may start there: what lay before it was deleted), a <see cref="StreamReset"/>
/// re-applies the stream's records from the last snapshot on, other local facts change nothing. Gives the state
/// before each event. Holds the records after the last snapshot only.
/// </summary>
public sealed class ClusterStreamFold
{
    private readonly List<IClusterEvent> _stream = [];
    private long _baseIndex;
    private ClusterState _baseState = ClusterState.Empty;

    public ClusterState State { get; private set; } = ClusterState.Empty;

    /// <summary>Applies one journaled record of the "cluster" stream.</summary>
    public void Apply(object journaled)
    {
        switch (journaled)
        {
            case IClusterEvent e:
                _stream.Add(e);
                if (State.TryApply(e, out var next, out _)) State = next;
                break;
            case StreamSnapshot snapshot:
                _stream.Clear();
                _baseIndex = snapshot.Index;
                State = _baseState = ClusterState.FromImage(snapshot.State);
                break;
            case StreamReset reset:
                var kept = _stream.Take((int)Math.Clamp(reset.DivergedAt - _baseIndex, 0, _stream.Count)).ToList();
                _stream.Clear();
                State = _baseState;
                foreach (var e in kept) Apply(e);
                break;
        }
    }
}
