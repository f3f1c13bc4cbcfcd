using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Web;

/// <summary>
/// GET /api/events/stream: the journal as server-sent events (<c>id: ORDERING</c>, <c>event: journal</c>, <c>data: EVENT</c>), from the
/// same journal and wake-up as `haven events --follow`. It starts after <c>?after=N</c> or the <c>Last-Event-ID</c> a reconnecting
/// browser sends (which wins). Bounded: each connection buffers at most <see cref="Capacity"/> events (the journal is the backlog);
/// a client that leaves that buffer full for <see cref="StallTimeout"/> is dropped (its browser reconnects where it left off), and
/// at most <see cref="MaxConnections"/> streams run at once.
/// </summary>
internal static class WebEventStream
{
    public const int Capacity = 256;
    public const int MaxConnections = 32;
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static void Map(WebApplication app, DaemonState state)
    {
        var open = new StrongBox<int>(0); // this listener's streams
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Haven.Web");
        app.MapGet("/api/events/stream", async (HttpContext http) =>
        {
            var ct = http.RequestAborted;
            if (!ControlApi.TryQuery(http.Request, "after", 0, out var after, out var error))
            {
                await Results.Json(new { error }, ServerJson.Options, statusCode: 400).ExecuteAsync(http);
                return;
            }
            if (http.Request.Headers["Last-Event-ID"] is [{ } last] && long.TryParse(last, out var resume) && resume >= 0) after = resume;
            if (Interlocked.Increment(ref open.Value) > MaxConnections)
            {
                Interlocked.Decrement(ref open.Value);
                await Results.Json(new { error = $"too many live streams (at most {MaxConnections})" }, ServerJson.Options, statusCode: 503).ExecuteAsync(http);
                return;
            }
            try
            {
                await StreamAsync(http, state, after, log, ct);
            }
            finally
            {
                Interlocked.Decrement(ref open.Value);
            }
        });
    }

    private static async Task StreamAsync(HttpContext http, DaemonState state, long after, ILogger log, CancellationToken ct)
    {
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.WriteAsync("retry: 3000\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pump = new EventPump(state.Journal, after, Capacity, StallTimeout, TimeProvider.System);
        var producer = pump.RunAsync(stop.Token);
        _ = producer.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully && t.Result is { } reason)
            {
                log.LogWarning("Web view: dropped a live stream from {Remote}: {Reason}", http.Connection.RemoteIpAddress, reason);
                http.Abort(); // also ends a write the stalled client never drains
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var reader = pump.Events;
        try
        {
            while (true)
            {
                var ready = reader.WaitToReadAsync(stop.Token).AsTask();
                if (await QuietAsync(ready, stop.Token))
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", stop.Token);
                    await http.Response.Body.FlushAsync(stop.Token);
                    continue;
                }
                if (!await ready) break; // the pump stopped
                while (reader.TryRead(out var e))
                    await http.Response.WriteAsync(Frame(e), stop.Token);
                await http.Response.Body.FlushAsync(stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // the client went away or the daemon is stopping
        }
        finally
        {
            await stop.CancelAsync();
            await producer.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>True when no event came within a heartbeat (a comment line then keeps proxies and idle clients awake).</summary>
    private static async Task<bool> QuietAsync(Task<bool> ready, CancellationToken ct)
    {
        using var beat = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var quiet = await Task.WhenAny(ready, Task.Delay(Heartbeat, TimeProvider.System, beat.Token)) != ready;
        await beat.CancelAsync();
        return quiet;
    }

    /// <summary>One server-sent event; JSON has no raw line break, so one data line carries it.</summary>
    internal static string Frame(EventView e) =>
        new StringBuilder().Append("id: ").Append(e.Ordering).Append("\nevent: journal\ndata: ")
            .Append(JsonSerializer.Serialize(e, ServerJson.Options)).Append("\n\n").ToString();
}

/// <summary>
/// Follows the journal after an ordering into a bounded buffer: it reads only what fits, waits for room, and gives up (the consumer is
/// too slow) when the buffer stays full for the stall timeout. Memory per follower is at most the capacity, whatever the client does.
/// </summary>
internal sealed class EventPump(ObservableJournal journal, long after, int capacity, TimeSpan stall, TimeProvider time)
{
    private readonly Channel<EventView> _buffer = Channel.CreateBounded<EventView>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public ChannelReader<EventView> Events => _buffer.Reader;

    /// <summary>Runs until cancelled (then null) or until the consumer stalled (then why it was dropped); completes <see cref="Events"/> either way.</summary>
    public async Task<string?> RunAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var next = journal.NextWrite; // taken before reading, so no write slips between
                var batch = new List<EventView>();
                await foreach (var e in journal.ReadAllAsync(after, capacity, ct)) batch.Add(EventView.From(e));
                foreach (var e in batch)
                {
                    if (!_buffer.Writer.TryWrite(e) && !await WaitForRoomAsync(e, ct))
                        return $"the client read nothing for {stall.TotalSeconds:0.#} s with {capacity} events waiting";
                    after = e.Ordering;
                }
                if (batch.Count == 0) await next.WaitAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            _buffer.Writer.TryComplete();
        }
    }

    private async Task<bool> WaitForRoomAsync(EventView e, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(stall, time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            await _buffer.Writer.WriteAsync(e, both.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
