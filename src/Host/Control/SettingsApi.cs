using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Runtime;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Control;

/// <summary>
/// /v1/config and /v1/ha: this host's effective settings with their sources, and the operator's
/// cluster-wide set and reset (the ClusterActor validates, replicates and answers once applied).
/// </summary>
internal static class SettingsApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app, DaemonState state)
    {
        app.MapGet("/v1/config", async (string? key) =>
        {
            var effective = await Effective(state);
            return effective.Select(key, out var error) is { } selected
                ? Results.Json(new SettingsView(selected.Select(s => SettingView.From(s, state.StartedWith)).ToList()), ServerJson.Options)
                : Error(error!);
        });

        app.MapPost("/v1/config/set", async (SetRequest? request) =>
        {
            if (request?.Key is not { Length: > 0 } key || request.Value is null)
                return Error("the request needs a key and a value: {\"key\": \"haven.x.y\", \"value\": \"HOCON\"}");
            return await ClusterApi.Command(state, new SetSetting(key, request.Value));
        });

        app.MapPost("/v1/config/reset", async (SetRequest? request) =>
        {
            if (request?.Key is not { Length: > 0 } key)
                return Error("the request needs a key: {\"key\": \"haven.x.y\"}");
            return await ClusterApi.Command(state, new ResetSetting(key));
        });

        app.MapGet("/v1/ha", async () =>
        {
            var ha = (await Effective(state))[ClusterWideSettings.HaEnabledKey];
            return Results.Json(new HaView(ConfigUnits.TryParseBoolean(ha.Value, out var on) && on, SettingView.From(ha, state.StartedWith)), ServerJson.Options);
        });

        app.MapPost("/v1/ha", async (HaRequest? request) =>
        {
            if (request?.Enabled is not { } enabled) return Error("the request needs enabled: {\"enabled\": true}");
            return await ClusterApi.Command(state, new SetSetting(ClusterWideSettings.HaEnabledKey, enabled ? "on" : "off"));
        });
    }

    private static Task<EffectiveSettings> Effective(DaemonState state) =>
        ClusterOf(state).Ask<EffectiveSettings>(GetEffectiveSettings.Instance, AskTimeout);

    private static IActorRef ClusterOf(DaemonState state) => state.ClusterActor ?? throw new InvalidOperationException("the cluster actor is not running");

    private static IResult Error(string message) => Results.Json(new { error = message }, ServerJson.Options, statusCode: 400);

    private static IResult Answer(OperatorCommandResult result) =>
        result.Accepted ? Results.Json(new { message = result.Message }, ServerJson.Options) : Error(result.Message);
}

/// <summary>The JSON of `haven config get --json`.</summary>
internal sealed record SettingsView(IReadOnlyList<SettingView> Settings);

/// <summary>
/// One setting: its effective value (HOCON text), source (default, cluster, host) and, for a host value,
/// FILE:LINE; when it applies (live, or at the daemon's start) and, for a start-time setting whose value
/// changed since this daemon started, the value it still runs with (Running; null otherwise).
/// </summary>
internal sealed record SettingView(string Key, string Value, string Source, string? Origin, string Scope, string Applies, string? Running)
{
    public static SettingView From(EffectiveSetting s, EffectiveSettings? startedWith)
    {
        var live = HavenConfig.Schema.Settings.TryGetValue(s.Key, out var schema) && schema.Live;
        var running = !live && startedWith is not null && startedWith.TryGet(s.Key, out var started) && started.Value != s.Value ? started.Value : null;
        return new(s.Key, s.Value, s.Source.ToString().ToLowerInvariant(), s.Origin, s.Scope.ToString().ToLowerInvariant(),
            live ? "live" : "start", running);
    }
}

/// <summary>The JSON of `haven ha status --json`.</summary>
internal sealed record HaView(bool Enabled, SettingView Setting);
