using System.Text.Json;
using Haven.Actors.Persistence;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Control;

/// <summary>The daemon's control API (HTTP+JSON on the owner-only Unix socket). Reads only, for now.</summary>
internal static class ControlApi
{
    public static void Map(WebApplication app, DaemonState state)
    {
        // Every refusal is {"error": …}: a body that is not the JSON a verb takes (ThrowOnBadRequest, set in DaemonHost)
        // is a 400 saying so, and a failure inside a handler a 500 with its message, never an empty body.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
                // No endpoint matched (an unknown path, or a verb the path does not take): say so, never an empty body.
                if (!context.Response.HasStarted && context.Response.StatusCode is 404 or 405)
                    await context.Response.WriteAsJsonAsync(new { error = NoSuchRequest(context.Request, context.Response.StatusCode) }, ServerJson.Options);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = e.StatusCode;
                await context.Response.WriteAsJsonAsync(new { error = $"the request is not valid: {e.Message}" }, ServerJson.Options);
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                context.Response.StatusCode = 500;
                await context.Response.WriteAsJsonAsync(new { error = e.Message }, ServerJson.Options);
            }
        });
        ClusterApi.Map(app, state);
        FenceApi.Map(app, state);
        SettingsApi.Map(app, state);
        EventsApi.Map(app, state);
        VmApi.Map(app, state);
        app.MapGet("/v1/status", async (CancellationToken ct) => Results.Json(await state.StatusAsync(ct), ServerJson.Options));

        app.MapGet("/v1/events", async (HttpRequest request, CancellationToken ct) =>
        {
            if (!TryQuery(request, "after", 0, out var after, out var error) || !TryQuery(request, "limit", long.MaxValue, out var limit, out error))
                return Results.Json(new { error }, ServerJson.Options, statusCode: 400);
            var list = new List<EventView>();
            await foreach (var e in state.Journal.ReadAllAsync(after, limit, ct)) list.Add(EventView.From(e));
            return Results.Json(list, ServerJson.Options);
        });

        app.MapGet("/v1/events/stream", async (HttpContext http, CancellationToken ct) =>
        {
            if (!TryQuery(http.Request, "after", 0, out var after, out var error))
            {
                http.Response.StatusCode = 400;
                await http.Response.WriteAsJsonAsync(new { error }, ServerJson.Options, ct);
                return;
            }
            if (Interlocked.Increment(ref state.OpenEventStreams) > MaxEventStreams)
            {
                Interlocked.Decrement(ref state.OpenEventStreams);
                http.Response.StatusCode = 503;
                await http.Response.WriteAsJsonAsync(new { error = $"{MaxEventStreams} event streams are open already, the most this daemon serves; close one (haven events --follow)" },
                    ServerJson.Options, ct);
                return;
            }
            try
            {
                http.Response.ContentType = "application/x-ndjson";
                await http.Response.StartAsync(ct);
                while (!ct.IsCancellationRequested)
                {
                    var next = state.Journal.NextWrite; // taken before reading, so no write slips between
                    // A consumer that does not read for SlowConsumer is dropped: once Kestrel's response buffer is full a write
                    // waits for it, and would wait (and hold memory) for ever. The deadline is each write's, not the batch's: a
                    // consumer that reads steadily is never dropped for a long batch.
                    using var write = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    var sent = 0;
                    await foreach (var e in state.Journal.ReadAllAsync(after, StreamBatch, ct))
                    {
                        after = e.Ordering;
                        sent++;
                        write.CancelAfter(state.SlowConsumer);
                        await http.Response.WriteAsync(JsonSerializer.Serialize(EventView.From(e), ServerJson.Options) + "\n", write.Token);
                    }
                    write.CancelAfter(state.SlowConsumer);
                    await http.Response.Body.FlushAsync(write.Token);
                    if (sent < StreamBatch) await next.WaitAsync(ct); // a full batch: more may be journaled already, read on
                }
            }
            catch (OperationCanceledException)
            {
                // the client went away, stopped reading (dropped), or the daemon is stopping
                if (!ct.IsCancellationRequested) http.Abort();
            }
            finally
            {
                Interlocked.Decrement(ref state.OpenEventStreams);
            }
        });
    }

    /// <summary>Why a request matched no endpoint: the path is unknown (404), or it does not take this verb (405).</summary>
    internal static string NoSuchRequest(HttpRequest request, int status)
    {
        var path = request.Path.Value ?? "/";
        if (path.Length > 200) path = path[..200] + "…";
        return status == 405
            ? $"{path} does not take {request.Method}"
            : $"no such request: {request.Method} {path}";
    }

    /// <summary>Events an event stream reads from the journal at a time.</summary>
    internal const int StreamBatch = 1000;

    /// <summary>Event streams (`haven events --follow`) served at once; one more is refused with 503.</summary>
    internal const int MaxEventStreams = 32;

    /// <summary>How long one write of a stream may wait for its consumer to read before the stream is dropped.</summary>
    internal static readonly TimeSpan SlowConsumer = TimeSpan.FromSeconds(30);

    /// <summary>A whole-number query parameter from 0 to <paramref name="max"/>, or <paramref name="fallback"/> when absent.</summary>
    internal static bool TryQuery(HttpRequest request, string name, long fallback, out long value, out string? error, long max = long.MaxValue)
    {
        error = null;
        value = fallback;
        if (!request.Query.TryGetValue(name, out var raw) || raw.Count == 0) return true;
        if (long.TryParse(raw[0], out value) && value >= 0 && value <= max) return true;
        error = max == long.MaxValue
            ? $"query parameter '{name}' must be a whole number ≥ 0, got '{raw[0]}'"
            : $"query parameter '{name}' must be a whole number from 0 to {max}, got '{raw[0]}'";
        return false;
    }
}

/// <summary>One journaled event as the API and `haven events` show it; fields are the event's own JSON.</summary>
internal sealed record EventView(long Ordering, DateTimeOffset Timestamp, string PersistenceId, long SequenceNr, string Type, JsonElement? Fields)
{
    /// <summary>The manifest of <see cref="Haven.Actors.Cluster.StreamSnapshot"/>: the journal's history starts at the oldest one kept.</summary>
    internal const string SnapshotManifest = "local.stream-snapshot.v1";

    private sealed record SnapshotMark(long Index, string Digest);

    public static EventView From(JournalEntry e)
    {
        JsonElement? fields;
        try
        {
            fields = JsonDocument.Parse(e.Payload).RootElement.Clone();
        }
        catch (JsonException)
        {
            fields = null; // shown without fields; recovery is what fails loudly on corrupt rows
        }
        // A snapshot holds the whole cluster state: the timeline shows where it stands, not the state.
        if (e.Manifest == SnapshotManifest && fields is { ValueKind: JsonValueKind.Object } f && f.TryGetProperty("index", out var index) && f.TryGetProperty("digest", out var digest))
            fields = JsonSerializer.SerializeToElement(new SnapshotMark(index.GetInt64(), digest.GetString() ?? ""), ServerJson.Options);
        return new EventView(e.Ordering, e.Timestamp, e.PersistenceId, e.SequenceNr, e.Manifest, fields);
    }
}
