using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Control;

/// <summary>/v1/fence: the devices and topology, their health, this daemon's fence history, and the operator's fence.</summary>
internal static class FenceApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app, DaemonState state)
    {
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        app.MapGet("/v1/fence", () => Results.Json(FenceListView.From(FencingOf(state)), ServerJson.Options));

        app.MapGet("/v1/fence/check", async (CancellationToken ct) =>
        {
            var fencing = FencingOf(state);
            if (!fencing.Enabled) return Error(Off("no device is checked"));
            var checks = await Task.WhenAll(fencing.Devices.Values.OrderBy(d => d.Name, StringComparer.Ordinal)
                .Select(d => CheckAsync(d, fencing.Settings.DeviceTimeout, ct)));
            return Results.Json(checks, ServerJson.Options);
        });

        app.MapGet("/v1/fence/history", () =>
            Results.Json(FencingOf(state).History.Snapshot().Select(FenceHistoryView.From).ToList(), ServerJson.Options));

        // The operator's word that a node is off (haven fence confirm): a replicated event, through the cluster.
        app.MapPost("/v1/fence/confirm", async (FenceConfirmRequest? request) =>
        {
            if (request?.Node is not { Length: > 0 } node)
                return Error("the request needs a node name and the reason: {\"node\": \"NAME\", \"reason\": \"TEXT\"}");
            return await ClusterApi.Command(state, new ConfirmFenced(node, request.Reason ?? ""));
        });

        app.MapPost("/v1/fence", async (FenceRequest? request) =>
        {
            if (request?.Node is not { Length: > 0 } node)
                return Error("the request needs a node name: {\"node\": \"NAME\", \"action\": \"off|on|reboot\"}");
            if (!TryAction(request.Action, out var action))
                return Error($"unknown fence action '{request.Action}'; use off, on or reboot");
            var fencing = FencingOf(state);
            if (!fencing.Enabled) return Error(Off($"{node} cannot be fenced"));
            var view = ClusterStatusView.From(await ClusterOf(state).Ask<ClusterView>(GetClusterView.Instance, AskTimeout));
            var member = view.Members.FirstOrDefault(m => m.Name == node);
            if (member is null)
                return Error($"unknown node '{node}'; known nodes: {string.Join(", ", view.Members.Select(m => m.Name))}");

            var fencer = action == fencing.Settings.Action
                ? fencing.Fencer
                : new TopologyFencer(fencing.Settings.Topology, fencing.Devices, fencing.Settings.ToFencerOptions() with { Action = action },
                    TimeProvider.System, loggers.CreateLogger<TopologyFencer>(), fencing.Record);
            var started = TimeProvider.System.GetTimestamp();
            // Not the request's token: a fence once started runs to its end (each device call bounded by its
            // timeout) even if the CLI goes away, and a cluster fence that joined it is not cut short.
            var result = await fencer.FenceAsync(new FenceTarget(new NodeId(member.Id), node, $"operator: haven fence {node} --action {Name(action)}"), CancellationToken.None);
            var seconds = Math.Round(TimeProvider.System.GetElapsedTime(started).TotalSeconds, 3);
            return result.Success
                ? Results.Json(new FenceAnswer(node, Name(action), result.Device, seconds, result.Detail), ServerJson.Options)
                : Error($"fencing {node} ({Name(action)}) failed after {seconds:0.###} s: {result.Detail}");
        });
    }

    private static DaemonFencing FencingOf(DaemonState state) => state.Fencing ?? throw new InvalidOperationException("fencing is not set up yet");

    private static IActorRef ClusterOf(DaemonState state) => state.ClusterActor ?? throw new InvalidOperationException("the cluster actor is not running");

    private static string Off(string what) => $"fencing is off (haven.fencing.enabled = off): {what}";

    private static IResult Error(string message) => Results.Json(new { error = message }, ServerJson.Options, statusCode: 400);

    private static bool TryAction(string? text, out FenceAction action)
    {
        action = text switch
        {
            null or "" or "off" => FenceAction.Off,
            "on" => FenceAction.On,
            "reboot" => FenceAction.Reboot,
            _ => (FenceAction)(-1),
        };
        return Enum.IsDefined(action);
    }

    internal static string Name(FenceAction action) => action.ToString().ToLowerInvariant();

    /// <summary>One device's status query, bounded by the fencer's per-device timeout; a throw or a timeout is an error.</summary>
    private static async Task<FenceCheckView> CheckAsync(IFenceDevice device, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            var health = await Task.Run(() => device.CheckAsync(limit.Token), limit.Token).WaitAsync(limit.Token);
            return new FenceCheckView(device.Name, device.Type, health.Healthy, health.Detail);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new FenceCheckView(device.Name, device.Type, false, $"no answer within {timeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new FenceCheckView(device.Name, device.Type, false, e.Message);
        }
    }
}

internal sealed record FenceAnswer(string Node, string Action, string Device, double DurationSeconds, string Detail);

internal sealed record FenceCheckView(string Name, string Type, bool Ok, string Detail);

/// <summary>The JSON of `haven fence list --json`: never a secret, only where each device is.</summary>
internal sealed record FenceListView(bool Enabled, string Action, IReadOnlyList<FenceDeviceView> Devices, IReadOnlyList<FenceTopologyView> Topology)
{
    public static FenceListView From(DaemonFencing fencing) => new(
        fencing.Enabled,
        FenceApi.Name(fencing.Settings.Action),
        [.. fencing.Settings.Devices.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => new FenceDeviceView(d.Name, d.Type, Address(d)))],
        [.. fencing.Settings.Topology.Hosts.OrderBy(h => h.Key == FencingTopology.AnyHost ? 1 : 0).ThenBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => new FenceTopologyView(h.Key, [.. h.Value.Select(level => (IReadOnlyList<string>)[.. level])]))]);

    private static string Address(FenceDeviceSettings device) => device switch
    {
        SnmpFenceDeviceSettings s => s.Port == Haven.Actors.Configuration.FencingConfig.DefaultSnmpPort ? s.Host : s.Host.Contains(':') ? $"[{s.Host}]:{s.Port}" : $"{s.Host}:{s.Port}",
        FenceAgentDeviceSettings a => a.IpAddress.Length > 0 ? $"{a.Agent} {a.IpAddress}" : a.Agent,
        ScriptFenceDeviceSettings s => Path.Combine(s.Directory, s.Script, s.Script + ".sh"),
        _ => "",
    };
}

internal sealed record FenceDeviceView(string Name, string Type, string Address);

internal sealed record FenceTopologyView(string Host, IReadOnlyList<IReadOnlyList<string>> Levels);

/// <summary>One history record: kind requested, succeeded or failed, with the fields that kind has (others null).</summary>
internal sealed record FenceHistoryView(string Kind, DateTimeOffset At, string Node, string? Action, string? Reason, string? Device, int? Level,
    double? DurationSeconds, string? Detail)
{
    public static FenceHistoryView From(FenceHistoryRecord record) => record switch
    {
        FenceHistoryRequested r => new("requested", r.At, r.Node, FenceApi.Name(r.Action), r.Reason, null, null, null, null),
        FenceHistorySucceeded s => new("succeeded", s.At, s.Node, null, null, s.Device, s.Level, Math.Round(s.Duration.TotalSeconds, 3), s.Detail),
        FenceHistoryFailed f => new("failed", f.At, f.Node, null, f.Reason, null, null, Math.Round(f.Duration.TotalSeconds, 3), null),
        _ => new("unknown", record.At, record.Node, null, null, null, null, null, null),
    };
}
