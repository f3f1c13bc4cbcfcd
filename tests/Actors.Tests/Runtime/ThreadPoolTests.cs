using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

/// <summary>
/// The default dispatcher on the real thread pool; waits are bounded WaitAsync, never sleeps. The bounds
/// are far above what the work takes, so a loaded machine (a starved thread pool) never hits them.
/// </summary>
public sealed class ThreadPoolTests : IAsyncLifetime
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);
    private readonly ActorSystem _system = ActorSystem.Create("pool");

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _system.Terminate().WaitAsync(Safety);

    private sealed class CountTo : Actor
    {
        public CountTo(int target, TaskCompletionSource<List<int>> done)
        {
            var seen = new List<int>();
            Receive<int>(n =>
            {
                seen.Add(n);
                if (seen.Count == target) done.TrySetResult(seen);
            });
        }
    }

    [Fact]
    public async Task ManySenders_EachSendersOrderIsKept()
    {
        var done = new TaskCompletionSource<List<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = _system.ActorOf(Props.Create(() => new CountTo(40_000, done)));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++) actor.Tell(s * 1_000_000 + i, null);
        })));
        var seen = await done.Task.WaitAsync(Safety);
        for (var s = 0; s < 4; s++)
        {
            var mine = seen.Where(n => n / 1_000_000 == s).ToList();
            Assert.Equal(Enumerable.Range(s * 1_000_000, 10_000), mine);
        }
    }

    [Fact]
    public async Task Ask_OnThreadPool_Completes()
    {
        var ponger = _system.ActorOf(Props.Create<Ponger>());
        var replies = await Task.WhenAll(Enumerable.Range(0, 100)
            .Select(i => ponger.Ask<Pong>(new Ping(i), Safety))).WaitAsync(Safety);
        Assert.Equal(Enumerable.Range(0, 100), replies.Select(r => r.N));
    }

    [Fact]
    public async Task Ask_OnThreadPool_TimesOutWithRealTime()
    {
        var silent = _system.ActorOf(Props.Create<Echo>());
        silent.Tell(PoisonPill.Instance, null);
        var ex = await Assert.ThrowsAsync<AskTimeoutException>(() =>
            silent.Ask<Pong>(new Ping(1), TimeSpan.FromMilliseconds(50)).WaitAsync(Safety));
        Assert.Contains("Pong", ex.Message);
    }

    [Fact]
    public async Task TestProbe_OnThreadPool_WatchesAndExpects()
    {
        var probe = new TestProbe(_system, defaultTimeout: Safety);
        var echo = _system.ActorOf(Props.Create<Echo>());
        probe.Watch(echo);
        probe.Send(echo, "hi");
        probe.ExpectMsg("hi");
        echo.Tell(PoisonPill.Instance, null);
        probe.ExpectTerminated(echo);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Restart_OnThreadPool_ActorRecovers()
    {
        var probe = new TestProbe(_system, defaultTimeout: Safety);
        var counter = _system.ActorOf(Props.Create(() => new Counter(probe, "c")));
        counter.Tell(new Boom("x"), null);
        counter.Tell(3, null);
        probe.FishForMessage<string>(s => s == "c:got 3");
        var state = await counter.Ask<int>(new GetState(), Safety).WaitAsync(Safety);
        Assert.Equal(3, state);
    }
}
