using Haven.Actors.Events;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Control;

/// <summary>/v1/events/scripts: the scripts directory, CTDB's verdict on each entry and each script's last result.</summary>
internal static class EventsApi
{
    public static void Map(WebApplication app, DaemonState state)
    {
        app.MapGet("/v1/events/scripts", () =>
        {
            var events = state.Events ?? throw new InvalidOperationException("the event scripts are not set up");
            return Results.Json(ScriptsView.From(events.Listing(), Directory.Exists(events.Settings.ScriptsDir)), ServerJson.Options);
        });
    }
}

/// <summary>The JSON of `haven events scripts --json`.</summary>
internal sealed record ScriptsView(string Directory, bool Exists, IReadOnlyList<string> Errors, IReadOnlyList<ScriptView> Scripts)
{
    public static ScriptsView From(ScriptListing listing, bool exists) => new(
        listing.Directory,
        exists,
        listing.Errors,
        [.. listing.Entries.Select(e => new ScriptView(e.Order, e.Name, e.Executable, e.Status == ScriptListing.Runs, e.Status,
            e.Last is { } r ? new ScriptResultView(r.Event, r.ExitCode, r.TimedOut, Math.Round(r.Duration.TotalMilliseconds, 1), r.At) : null))]);
}

internal sealed record ScriptView(int? Order, string Name, bool Executable, bool Runs, string Status, ScriptResultView? Last);

internal sealed record ScriptResultView(string Event, int ExitCode, bool TimedOut, double DurationMs, DateTimeOffset At);
