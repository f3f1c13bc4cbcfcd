using Haven.Host.Cli;
using Haven.Host.Control;

namespace Haven.Host.Tests;

/// <summary>The number of event streams a daemon serves is bounded: one more is refused with the reason, and a closed one frees its place.</summary>
public sealed class EventStreamLimitTests
{
    [Fact]
    public async Task Stream_BeyondTheLimit_RefusedNamingIt_AClosedOneFreesItsPlace()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        await daemon.WaitForEventAsync("daemon.started.v1");
        using var client = new ControlClient(dir.File("haven.sock"));
        var open = new List<(CancellationTokenSource Stop, IAsyncEnumerator<System.Text.Json.JsonElement> Stream)>();
        try
        {
            for (var i = 0; i < ControlApi.MaxEventStreams; i++)
            {
                var stop = new CancellationTokenSource();
                var stream = client.StreamAsync("v1/events/stream", stop.Token).GetAsyncEnumerator(stop.Token);
                Assert.True(await stream.MoveNextAsync()); // served: the first event arrived
                open.Add((stop, stream));
            }

            var refused = await Assert.ThrowsAsync<CliException>(async () =>
            {
                await foreach (var _ in client.StreamAsync("v1/events/stream")) break;
            });
            Assert.Equal($"{ControlApi.MaxEventStreams} event streams are open already, the most this daemon serves; close one (haven events --follow)", refused.Message);

            var (first, firstStream) = open[0];
            await first.CancelAsync();
            await firstStream.DisposeAsync();
            open.RemoveAt(0);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref daemon.State.OpenEventStreams) < ControlApi.MaxEventStreams, TimeSpan.FromSeconds(30)),
                "the daemon never saw the stream close");
            await foreach (var _ in client.StreamAsync("v1/events/stream", wait.Token)) break; // and serves a new one
        }
        finally
        {
            foreach (var (stop, stream) in open)
            {
                await stop.CancelAsync();
                await stream.DisposeAsync();
                stop.Dispose();
            }
        }
    }
}
