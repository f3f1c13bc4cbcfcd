using System.Net.Sockets;
using System.Text;
using Haven.Actors.Persistence;
using Haven.Host.Control;

namespace Haven.Host.Tests;

/// <summary>
/// The control socket's event stream (`haven events --follow`) and a client that stops reading: once what the daemon may
/// hold for it is full (Kestrel's response buffer, the socket's), the stream waits; after the slow-consumer time it is
/// dropped. Other clients are served all the while — also one that reads a long batch more slowly than the slow-consumer
/// time, as long as it keeps reading — and what the silent one was sent stays bounded.
/// </summary>
public sealed class EventStreamSlowConsumerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Events = 2000;
    private const int PayloadBytes = 4096; // 8 MB of events in all
    private const long Bound = 2 * 1024 * 1024; // what may have gone towards the silent client: buffers, never the journal

    [Fact]
    public async Task Stream_ClientThatReadsNothing_DroppedOnceItsBufferIsFull_OthersServed_WhatItWasSentBounded()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        await daemon.WaitForEventAsync("daemon.started.v1");
        daemon.State.SlowConsumer = TimeSpan.FromSeconds(3);
        var payload = Encoding.UTF8.GetBytes($"{{\"pad\":\"{new string('x', PayloadBytes)}\"}}");
        for (var batch = 0; batch < Events / 500; batch++)
            await daemon.State.Journal.WriteAsync(Enumerable.Range(1 + batch * 500, 500)
                .Select(i => new JournalEntry("filler", i, "test.filler.v1", payload, DateTimeOffset.UnixEpoch, [])).ToList());
        long last = 0;
        await foreach (var e in daemon.State.Journal.ReadAllAsync(0)) last = e.Ordering;

        // The silent client: asks for the stream from the start, then reads nothing.
        using var silent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveBufferSize = 4096 };
        await silent.ConnectAsync(new UnixDomainSocketEndPoint(dir.File("haven.sock")));
        await silent.SendAsync("GET /v1/events/stream?after=0 HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref daemon.State.OpenEventStreams) == 1, TimeSpan.FromSeconds(30)), "the stream never opened");

        // Another client is served everything meanwhile, and plain requests are answered. It reads steadily but slowly: a
        // batch of 1000 events takes it longer than the slow-consumer time (it pauses 0.4 s every 100), and it is not dropped.
        using var client = new ControlClient(dir.File("haven.sock"));
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        long seen = 0;
        var read = 0;
        await foreach (var e in client.StreamAsync("v1/events/stream?after=0", patience.Token))
        {
            seen = e.GetProperty("ordering").GetInt64();
            if (seen == last) break;
            if (++read % 100 == 0) await Task.Delay(TimeSpan.FromMilliseconds(400), patience.Token); // a slow reader, not a wait for a condition
        }
        Assert.Equal(last, seen);
        Assert.Equal("test", (await client.GetAsync("v1/status", patience.Token)).GetProperty("cluster").GetString());

        // The silent one is dropped: its place is freed, and its connection ends.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref daemon.State.OpenEventStreams) == 0, TimeSpan.FromSeconds(60)), "the silent stream was never dropped");
        long received = 0;
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await silent.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(30))) > 0) received += n;
        }
        catch (SocketException)
        {
            // reset by the daemon's abort: what had arrived was counted
        }
        output.WriteLine($"silent client: {received} bytes received of {(long)Events * PayloadBytes} journaled; the reader got all {last} events");
        Assert.True(received > 0, "the silent client was sent nothing at all");
        Assert.True(received < Bound, $"the silent client was sent {received} bytes of the {(long)Events * PayloadBytes} journaled");
    }
}
