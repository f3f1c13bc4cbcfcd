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
                ? Results.Json(new SettingsView(selected.Select(SettingView.From).ToList()), ControlJson.Options)
                : Error(error!);
        });

        app.MapPost("/v1/config/set", async (SetRequest? request) =>
        {
            if (request?.Key is not { Length: > 0 } key || request.Value is null)
                return Error("the request needs a key and a value: {\"key\": \"haven.x.y\", \"value\": \"HOCON\"}");
            return Answer(await ClusterOf(state).Ask<OperatorCommandResult>(new SetSetting(key, request.Value), AskTimeout));
        });

        app.MapPost("/v1/config/reset", async (SetRequest? request) =>
        {
            if (request?.Key is not { Length: > 0 } key)
                return Error("the request needs a key: {\"key\": \"haven.x.y\"}");
            return Answer(await ClusterOf(state).Ask<OperatorCommandResult>(new ResetSetting(key), AskTimeout));
        });

        app.MapGet("/v1/ha", async () =>
        {
            var ha = (await Effective(state))[ClusterWideSettings.HaEnabledKey];
            return Results.Json(new HaView(ConfigUnits.TryParseBoolean(ha.Value, out var on) && on, SettingView.From(ha)), ControlJson.Options);
        });

        app.MapPost("/v1/ha", async (HaRequest? request) =>
        {
            if (request?.Enabled is not { } enabled) return Error("the request needs enabled: {\"enabled\": true}");
            return Answer(await ClusterOf(state).Ask<OperatorCommandResult>(
                new SetSetting(ClusterWideSettings.HaEnabledKey, enabled ? "on" : "off"), AskTimeout));
        });
    }

    private static Task<EffectiveSettings> Effective(DaemonState state) =>
        ClusterOf(state).Ask<EffectiveSettings>(GetEffectiveSettings.Instance, AskTimeout);

    private static IActorRef ClusterOf(DaemonState state) => state.ClusterActor ?? throw new InvalidOperationException("the cluster actor is not running");

    private static IResult Error(string message) => Results.Json(new { error = message }, ControlJson.Options, statusCode: 400);

    private static IResult Answer(OperatorCommandResult result) =>
        result.Accepted ? Results.Json(new { message = result.Message }, ControlJson.Options) : Error(result.Message);

    internal sealed record SetRequest(string? Key, string? Value);

    internal sealed record HaRequest(bool? Enabled);
}

/// <summary>The JSON of `haven config get --json`.</summary>
internal sealed record SettingsView(IReadOnlyList<SettingView> Settings);

/// <summary>One setting: its effective value (HOCON text), source (default, cluster, host) and, for a host value, FILE:LINE.</summary>
internal sealed record SettingView(string Key, string Value, string Source, string? Origin, string Scope)
{
    public static SettingView From(EffectiveSetting s) =>
        new(s.Key, s.Value, s.Source.ToString().ToLowerInvariant(), s.Origin, s.Scope.ToString().ToLowerInvariant());
}

/// <summary>The JSON of `haven ha status --json`.</summary>
internal sealed record HaView(bool Enabled, SettingView Setting);
