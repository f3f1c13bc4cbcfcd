using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Runtime;
using Haven.Host.Daemon;
using Haven.Host.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Control;

/// <summary>GET /metrics: the daemon's state in the Prometheus text format, computed when scraped.</summary>
internal static class MetricsApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app, DaemonState state) =>
        app.MapGet("/metrics", async (CancellationToken ct) =>
            Results.Text((await SnapshotAsync(state, ct)).ToPrometheusText(), MetricsSnapshot.ContentType));

    /// <summary>Reads the cluster view, the journal count and the fence history once each.</summary>
    public static async Task<MetricsSnapshot> SnapshotAsync(DaemonState state, CancellationToken ct)
    {
        var cluster = state.ClusterActor ?? throw new InvalidOperationException("the cluster actor is not running");
        var view = await cluster.Ask<ClusterView>(GetClusterView.Instance, AskTimeout);
        var status = ClusterStatusView.From(view);
        var history = state.Fencing?.History.Snapshot() ?? [];
        return new MetricsSnapshot(
            status.Members.GroupBy(m => m.State).ToDictionary(g => g.Key, g => g.Count()),
            view.Quorate,
            view.Dc == view.Self.Id,
            status.Partition,
            await state.Journal.CountAsync(ct),
            view.StreamIndex,
            history.Count(r => r is FenceHistoryRequested),
            history.Count(r => r is FenceHistoryFailed),
            view.State.Ips.Values.Count(ip => ip.Node == view.Self.Id))
        {
            AddressesByNode = view.State.Nodes.Values.ToDictionary(n => n.Name, n => view.State.Ips.Values.Count(ip => ip.Node == n.Id)),
            Recoveries = view.State.RecoveryGeneration,
            FencesSucceeded = history.Count(r => r is FenceHistorySucceeded),
            FenceSecondsSum = history.OfType<FenceHistorySucceeded>().Sum(r => r.Duration.TotalSeconds),
            ScriptRuns = state.Events?.Runner.History.Runs ?? 0,
            ScriptFailures = state.Events?.Runner.History.Failures ?? 0,
        };
    }
}
