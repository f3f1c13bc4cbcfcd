using Haven.Actors.Cluster;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Web;

/// <summary>
/// The web view's JSON, GET only, from the same sources as the control API's read verbs: /api/status, /api/cluster,
/// /api/ips, /api/vms, /api/vms/NAME, /api/vms/NAME/explain, /api/fence, /api/fence/history, /api/events (bounded);
/// the live stream is <see cref="WebEventStream"/>. Nothing here changes anything, and no secret is in any answer.
/// </summary>
internal static class WebApi
{
    /// <summary>The most events one /api/events answer holds.</summary>
    public const int MaxEvents = 1000;
    public const int DefaultEvents = 200;

    public static void Map(WebApplication app, DaemonState state)
    {
        app.MapGet("/api/status", async (CancellationToken ct) => Json(await state.StatusAsync(ct)));
        app.MapGet("/api/cluster", async () => Json(ClusterStatusView.From(await ClusterApi.ViewAsync(state))));
        app.MapGet("/api/ips", async () => Json(IpView.From(await ClusterApi.ViewAsync(state), state.PublicAddresses)));

        app.MapGet("/api/vms", async () =>
        {
            var view = await ClusterApi.ViewAsync(state);
            return Json(view.State.Vms.Values.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => VmDetailView.From(view.State, v)).ToList());
        });

        app.MapGet("/api/vms/{name}", async (string name) =>
        {
            var view = await ClusterApi.ViewAsync(state);
            return view.State.Vms.TryGetValue(VmSpecRules.Canonical(name), out var vm)
                ? Json(VmDetailView.From(view.State, vm))
                : NotFound($"VM '{VmSpecRules.Canonical(name)}' is not managed");
        });

        app.MapGet("/api/vms/{name}/explain", async (string name) =>
        {
            var answer = await ClusterApi.ClusterOf(state).Ask<object>(new ExplainVm(name), ClusterApi.AskTimeout);
            return answer is VmExplanation e
                ? Json(new { vm = e.Vm, lines = e.Lines })
                : NotFound(((OperatorCommandResult)answer).Message);
        });

        app.MapGet("/api/fence", () => Json(FenceListView.From(FencingOf(state))));
        app.MapGet("/api/fence/history", () => Json(FencingOf(state).History.Snapshot().Select(FenceHistoryView.From).ToList()));

        app.MapGet("/api/events", async (HttpRequest request, CancellationToken ct) =>
        {
            if (!ControlApi.TryQuery(request, "after", 0, out var after, out var error)
                || !ControlApi.TryQuery(request, "limit", DefaultEvents, out var limit, out error, MaxEvents)
                || !ControlApi.TryQuery(request, "last", 0, out var last, out error, MaxEvents))
                return Results.Json(new { error }, ServerJson.Options, statusCode: 400);
            return Json(last > 0 ? await TailAsync(state, (int)last, ct) : await PageAsync(state, after, limit, ct));
        });

        WebEventStream.Map(app, state);
    }

    /// <summary>Up to <paramref name="limit"/> events after the ordering, oldest first.</summary>
    private static async Task<List<EventView>> PageAsync(DaemonState state, long after, long limit, CancellationToken ct)
    {
        var list = new List<EventView>();
        await foreach (var e in state.Journal.ReadAllAsync(after, limit, ct)) list.Add(EventView.From(e));
        return list;
    }

    /// <summary>The newest <paramref name="count"/> events, oldest first; reads the journal once, holding at most that many.</summary>
    private static async Task<List<EventView>> TailAsync(DaemonState state, int count, CancellationToken ct)
    {
        var window = new Queue<Haven.Actors.Persistence.JournalEntry>(count + 1);
        await foreach (var e in state.Journal.ReadAllAsync(0, cancellationToken: ct))
        {
            window.Enqueue(e);
            if (window.Count > count) window.Dequeue();
        }
        return [.. window.Select(EventView.From)];
    }

    private static DaemonFencing FencingOf(DaemonState state) => state.Fencing ?? throw new InvalidOperationException("fencing is not set up yet");

    private static IResult Json<T>(T value) => Results.Json(value, ServerJson.Options);

    internal static IResult NotFound(string message) => Results.Json(new { error = message }, ServerJson.Options, statusCode: 404);
}
