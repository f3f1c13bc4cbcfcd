using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Host.Daemon;
using Haven.Host.Web;

namespace Haven.Host.Tests;

/// <summary>The web view's live stream: server-sent events from a running daemon's journal, resumable, and bounded per connection.</summary>
public class WebEventStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Reads one server-sent event (its field lines) from the stream, skipping comments and the retry line.</summary>
    private static async Task<Dictionary<string, string>> NextEventAsync(StreamReader reader)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            var line = await reader.ReadLineAsync().WaitAsync(Patience) ?? throw new EndOfStreamException("the stream ended");
            if (line.Length == 0)
            {
                if (fields.ContainsKey("event")) return fields;
                fields.Clear();
                continue;
            }
            if (line.StartsWith(':')) continue;
            var colon = line.IndexOf(':');
            fields[line[..colon]] = line[(colon + 1)..].TrimStart();
        }
    }

    [Fact]
    public async Task Stream_RunningDaemon_SendsNewEventsLiveAndResumesAfterLastEventId()
    {
        using var dir = new TempDir();
        var port = Haven.TestKit.LoopbackPorts.Free(ProtocolType.Tcp);
        await using var daemon = await RunningDaemon.StartAsync(WebViewTests.Config(dir, $"enabled = on, listen = \"127.0.0.1:{port}\""));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var url = $"http://127.0.0.1:{port}/api/events/stream";

        // From the start: everything journaled so far arrives in order, with no secret in it.
        using var all = await http.GetAsync(url + "?after=0", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal("text/event-stream", all.Content.Headers.ContentType?.MediaType);
        using var allReader = new StreamReader(await all.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await allReader.ReadLineAsync());
        var journaled = new List<JournalEntry>();
        await foreach (var e in daemon.State.Journal.ReadAllAsync(0)) journaled.Add(e);
        foreach (var expected in journaled)
        {
            var frame = await NextEventAsync(allReader);
            Assert.Equal("journal", frame["event"]);
            Assert.Equal(expected.Ordering.ToString(System.Globalization.CultureInfo.InvariantCulture), frame["id"]);
            Assert.DoesNotContain(WebViewTests.DevicePassword, frame["data"]);
            Assert.DoesNotContain(WebViewTests.Token, frame["data"]);
            var data = JsonDocument.Parse(frame["data"]).RootElement;
            Assert.Equal(expected.Ordering, data.GetProperty("ordering").GetInt64());
            Assert.Equal(expected.Manifest, data.GetProperty("type").GetString());
        }

        // Live: an event journaled now arrives without a new request.
        var (code, _, err) = await CliRunner.RunAsync("maintenance", "on", "--node", "solo", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        Dictionary<string, string> live;
        do live = await NextEventAsync(allReader);
        while (JsonDocument.Parse(live["data"]).RootElement.GetProperty("type").GetString() != "cluster.node-maintenance.v1");
        var liveId = long.Parse(live["id"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(liveId > journaled[^1].Ordering);

        // A reconnecting browser sends Last-Event-ID, which wins over the URL's after.
        using var resume = new HttpRequestMessage(HttpMethod.Get, url + "?after=0");
        resume.Headers.Add("Last-Event-ID", (liveId - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var resumed = await http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        using var resumedReader = new StreamReader(await resumed.Content.ReadAsStreamAsync());
        var first = await NextEventAsync(resumedReader);
        Assert.Equal(liveId, long.Parse(first["id"], System.Globalization.CultureInfo.InvariantCulture));

        using var bad = await http.GetAsync(url + "?after=-1");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // At most MaxConnections streams at once (two are open here): one more is refused, and a closed one frees its place.
        var more = new List<HttpResponseMessage>();
        try
        {
            for (var i = 2; i < WebEventStream.MaxConnections; i++)
            {
                var open = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                more.Add(open);
                Assert.Equal(HttpStatusCode.OK, open.StatusCode);
            }
            using (var refused = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Contains("too many live streams", await refused.Content.ReadAsStringAsync());
            }
            more[0].Dispose();
            more.RemoveAt(0);
            using var timeout = new CancellationTokenSource(Patience);
            while (true) // the server sees the close when it next touches the connection; a new stream then fits
            {
                using var again = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (again.StatusCode == HttpStatusCode.OK) break;
                Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
            }
        }
        finally
        {
            foreach (var m in more) m.Dispose();
        }
    }

    private static async Task<ObservableJournal> JournalWithAsync(int events)
    {
        var journal = new ObservableJournal(new InMemoryJournal());
        for (var i = 1; i <= events; i++) await WriteAsync(journal, i);
        return journal;
    }

    private static Task WriteAsync(ObservableJournal journal, int seq) =>
        journal.WriteAsync([new JournalEntry("test", seq, "test.event.v1", "{\"n\":1}"u8.ToArray(), DateTimeOffset.UnixEpoch, [])]);

    [Fact]
    public async Task Pump_ClientThatReadsNothing_BuffersAtMostItsCapacityThenIsDroppedAfterTheStallTimeout()
    {
        var journal = await JournalWithAsync(10);
        var clock = new VirtualClock();
        var pump = new EventPump(journal, 0, capacity: 4, stall: TimeSpan.FromSeconds(30), clock);
        using var stop = new CancellationTokenSource();
        var run = pump.RunAsync(stop.Token);

        // Full, and waiting for room with its stall deadline armed.
        Assert.True(SpinWait.SpinUntil(() => pump.Events.Count == 4 && clock.ActiveTimerCount == 1, Patience), $"buffered {pump.Events.Count}, timers {clock.ActiveTimerCount}");
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(run.IsCompleted);
        Assert.Equal(4, pump.Events.Count);
        clock.Advance(TimeSpan.FromSeconds(1));
        var reason = await run.WaitAsync(Patience);
        Assert.Contains("read nothing for 30 s with 4 events waiting", reason);
        Assert.Equal(4, pump.Events.Count); // never more than the capacity
        var left = new List<long>();
        await foreach (var e in pump.Events.ReadAllAsync().WithCancellation(CancellationToken.None)) left.Add(e.Ordering);
        Assert.Equal(4, left.Count); // then the buffer is closed
    }

    [Fact]
    public async Task Pump_ClientThatKeepsUp_GetsEveryEventInOrderThroughASmallBufferThenLiveOnes()
    {
        var journal = await JournalWithAsync(10);
        var pump = new EventPump(journal, 0, capacity: 3, stall: TimeSpan.FromSeconds(30), new VirtualClock());
        using var stop = new CancellationTokenSource();
        var run = pump.RunAsync(stop.Token);
        var seen = new List<long>();
        var maxBuffered = 0;
        using var timeout = new CancellationTokenSource(Patience);
        while (seen.Count < 10)
        {
            await pump.Events.WaitToReadAsync(timeout.Token);
            maxBuffered = Math.Max(maxBuffered, pump.Events.Count);
            while (pump.Events.TryRead(out var e)) seen.Add(e.Ordering);
        }
        Assert.True(maxBuffered <= 3);
        for (var i = 11; i <= 13; i++) await WriteAsync(journal, i);
        while (seen.Count < 13)
        {
            await pump.Events.WaitToReadAsync(timeout.Token);
            while (pump.Events.TryRead(out var e)) seen.Add(e.Ordering);
        }
        var orderings = new List<long>();
        await foreach (var e in journal.ReadAllAsync(0)) orderings.Add(e.Ordering);
        Assert.Equal(orderings, seen);

        await stop.CancelAsync();
        Assert.Null(await run.WaitAsync(Patience));
    }
}
