using Haven.Actors.Cluster;
using Haven.Actors.Runtime;

namespace Haven.Actors.Hosts;

/// <summary>
/// HA-Lizard's IP heuristics, probed on this host: every heuristics-interval (and once at start) the HostActor asks
/// <see cref="IReachability"/> whether every heuristic address answers and tells the ClusterActor
/// (<see cref="HeuristicsProbed"/>), which puts a change into the replicated state. Only when heuristics are on.
/// </summary>
public sealed partial class HostActor
{
    private readonly IReachability? _reachability;
    private readonly TimeSpan _heuristicsInterval;

    private void StartHeuristics()
    {
        if (_reachability is null) return;
        Receive<ProbeHeuristics>(_ => ProbeHeuristicsNow());
        Timers.StartPeriodicTimer("heuristics", ProbeHeuristics.Instance, _heuristicsInterval);
        Self.Tell(ProbeHeuristics.Instance, Self);
    }

    private void ProbeHeuristicsNow()
    {
        var (self, parent) = (Self, Context.Parent);
        _reachability!.AllReachableAsync(CancellationToken.None).ContinueWith(
            t => parent.Tell(new HeuristicsProbed(t.IsCompletedSuccessfully && t.Result), self),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private sealed record ProbeHeuristics
    {
        public static readonly ProbeHeuristics Instance = new();
    }
}
