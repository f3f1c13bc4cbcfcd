using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;

namespace Haven.Actors.Tests.Simulation;

/// <summary>How the fake host behaves: enough to drive the harness, never a model of Haven.</summary>
internal enum FakeBehavior
{
    /// <summary>Reports Joining forever and holds nothing.</summary>
    Quiet,

    /// <summary>
    /// Primary on a quorate side (a tie goes to the side with node 1); the DC takes every address at once,
    /// without fencing anybody; a minority host releases what it holds. Unsafe on purpose.
    /// </summary>
    GreedyPrimary,
}

/// <summary>A stand-in ClusterActor for harness tests (the real one lives in src/Actors/Cluster).</summary>
internal sealed class FakeClusterHost : Actor
{
    private readonly ClusterOptions _options;
    private readonly ClusterDependencies _deps;
    private readonly FakeBehavior _behavior;
    private readonly SortedSet<string> _held = new(StringComparer.Ordinal);
    private ImmutableArray<Member> _view = [];
    private long _delivered;

    private FakeClusterHost(ClusterOptions options, ClusterDependencies deps, FakeBehavior behavior)
    {
        _options = options;
        _deps = deps;
        _behavior = behavior;
        Receive<MembershipChanged>(OnMembership);
        Receive<Delivery>(_ => _delivered++);
        Receive<Tick>(_ => Report());
    }

    public static ClusterActorFactory Factory(FakeBehavior behavior) =>
        (options, deps) => Props.Create(() => new FakeClusterHost(options, deps, behavior));

    private sealed record Delivery(NodeId Sender, int Length);

    private sealed record Tick;

    protected override void PreStart()
    {
        var self = Self;
        _deps.Transport.MembershipChanged += change => self.Tell(change, ActorRefs.NoSender);
        _deps.Transport.Delivered += (sender, payload) => self.Tell(new Delivery(sender, payload.Length), ActorRefs.NoSender);
        _deps.Transport.JoinAsync("haven").GetAwaiter().GetResult();
        Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromSeconds(1));
    }

    private void OnMembership(MembershipChanged change)
    {
        _view = change.Members;
        _deps.Transport.MulticastAsync(Encoding.UTF8.GetBytes($"hello from {_options.Self.Name}")).GetAwaiter().GetResult();
        if (_behavior == FakeBehavior.GreedyPrimary)
        {
            if (Role == PartitionRole.Primary && Dc == _options.Self.Id)
                foreach (var a in _options.PublicAddresses.Where(a => _held.Add(a.Ip)))
                    _deps.Addresses.TakeAsync(a, probe: true, CancellationToken.None).GetAwaiter().GetResult();
            else if (Role != PartitionRole.Primary || Dc != _options.Self.Id)
                foreach (var a in _options.PublicAddresses.Where(a => _held.Remove(a.Ip)))
                    _deps.Addresses.ReleaseAsync(a, CancellationToken.None).GetAwaiter().GetResult();
        }
        Report();
    }

    private NodeId? Dc => _view.IsEmpty ? null : _view[0].Id;

    private PartitionRole Role
    {
        get
        {
            if (_behavior == FakeBehavior.Quiet || _view.IsEmpty) return PartitionRole.Joining;
            var total = _options.Nodes.Length;
            var quorate = _view.Length * 2 > total || (_view.Length * 2 == total && _view.Any(m => m.Id.Value == 1));
            return quorate ? PartitionRole.Primary : PartitionRole.Minority;
        }
    }

    private void Report()
    {
        var state = ClusterState.Empty;
        foreach (var m in _view) state = state.Apply(new NodeJoined(m.Id, m.Name)).Apply(new NodeUp(m.Id));
        if (Role == PartitionRole.Primary && Dc is { } dc)
            foreach (var a in _options.PublicAddresses) state = state.Apply(new IpTaken(a.Interface, a.Ip, a.Mask, dc));
        _deps.Observer?.Invoke(new ClusterView(_options.ClusterName, _options.Self, Dc, Role == PartitionRole.Primary, Role,
            _view, state, 0, ""));
    }
}
