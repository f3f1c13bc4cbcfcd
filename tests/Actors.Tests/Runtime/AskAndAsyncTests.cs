using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

public sealed class AskAndAsyncTests : HavenTestKit
{
    [Fact]
    public void Ask_TargetReplies_CompletesWithReply()
    {
        var ponger = ActorOf(Props.Create<Ponger>());
        var reply = AwaitResult(ponger.Ask<Pong>(new Ping(3), TimeSpan.FromSeconds(1)));
        Assert.Equal(new Pong(3), reply);
    }

    [Fact]
    public void Ask_NoReply_FailsWithAskTimeoutExactlyAtTimeoutInVirtualTime()
    {
        var silent = ActorOf(Props.Create<Silent>());
        var start = Clock.GetUtcNow();
        var task = silent.Ask<Pong>(new Ping(1), TimeSpan.FromSeconds(5));
        Advance(TimeSpan.FromSeconds(4.999));
        Assert.False(task.IsCompleted);
        Advance(TimeSpan.FromMilliseconds(1));
        var ex = AwaitFailure(task, TimeSpan.Zero);
        var timeout = Assert.IsType<AskTimeoutException>(ex);
        Assert.Contains("Pong", timeout.Message);
        Assert.Contains(silent.Path.ToString(), timeout.Message);
        Assert.Equal(start + TimeSpan.FromSeconds(5), Clock.GetUtcNow());
    }

    private sealed class Silent : Actor
    {
        public Silent() => ReceiveAny(_ => { });
    }

    [Fact]
    public void Ask_StatusFailureReply_FailsWithItsCause()
    {
        var failer = ActorOf(Props.Create<Failer>());
        var ex = AwaitFailure(failer.Ask<int>("x", TimeSpan.FromSeconds(1)));
        Assert.Equal("refused x", ex.Message);
    }

    private sealed class Failer : Actor
    {
        public Failer() => Receive<string>(s => Sender.Tell(new Status.Failure(new InvalidOperationException($"refused {s}")), Self));
    }

    [Fact]
    public void Ask_ReplyOfWrongType_FailsWithInvalidCastNamingBothTypes()
    {
        var echo = ActorOf(Props.Create<Echo>());
        var ex = AwaitFailure(echo.Ask<Pong>(new Ping(1), TimeSpan.FromSeconds(1)));
        Assert.IsType<InvalidCastException>(ex);
        Assert.Contains("Pong", ex.Message);
        Assert.Contains("Ping", ex.Message);
    }

    [Fact]
    public void ReceiveAsync_WhileTaskPending_MailboxIsSuspendedAndContinuationRunsOnActor()
    {
        var probe = CreateTestProbe();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = ActorOf(Props.Create(() => new AsyncWorker(probe, gate.Task)));
        probe.Send(actor, "first");
        probe.Send(actor, "second");
        probe.ExpectMsg("start first");
        probe.ExpectNoMsg(TimeSpan.FromSeconds(10)); // "second" waits behind the pending task
        gate.SetResult(42);
        probe.ExpectMsg("end first 42 on actor=True sender=True");
        probe.ExpectMsg("start second");
        probe.ExpectMsg("end second 42 on actor=True sender=True");
    }

    private sealed class AsyncWorker : Actor
    {
        public AsyncWorker(IActorRef probe, Task<int> gate)
        {
            ReceiveAsync<string>(async s =>
            {
                var sender = Sender;
                probe.Tell($"start {s}", null);
                var v = await gate;
                // Continuation: must run on the actor's turn, with Sender restored.
                probe.Tell($"end {s} {v} on actor={ActorCellIsCurrent()} sender={Sender.Equals(sender)}", null);
            });
        }

        private bool ActorCellIsCurrent() => Context.Self.Equals(Self) && SynchronizationContext.Current is not null;
    }

    [Fact]
    public void ReceiveAsync_AwaitingAskToAnotherActor_CompletesInOrder()
    {
        var probe = CreateTestProbe();
        var ponger = ActorOf(Props.Create<Ponger>());
        var actor = ActorOf(Props.Create(() => new Asker(ponger)));
        probe.Send(actor, 1);
        probe.Send(actor, 2);
        probe.ExpectMsg("1->1");
        probe.ExpectMsg("2->2");
    }

    private sealed class Asker : Actor
    {
        public Asker(IActorRef ponger) => ReceiveAsync<int>(async n =>
        {
            var pong = await ponger.Ask<Pong>(new Ping(n), TimeSpan.FromSeconds(1));
            Sender.Tell($"{n}->{pong.N}", Self);
        });
    }

    [Fact]
    public void ReceiveAsync_TaskFaults_ActorIsRestartedBySupervisor()
    {
        var probe = CreateTestProbe();
        var actor = ActorOf(Props.Create(() => new AsyncThrower(probe)));
        probe.ExpectMsg("started");
        probe.Send(actor, "fail");
        probe.ExpectMsg("started"); // PreStart again: restarted
        probe.Send(actor, "ok");
        probe.ExpectMsg("ok");
    }

    private sealed class AsyncThrower : Actor
    {
        private readonly IActorRef _probe;

        public AsyncThrower(IActorRef probe)
        {
            _probe = probe;
            ReceiveAsync<string>(async s =>
            {
                await Task.Yield();
                if (s == "fail") throw new InvalidOperationException("async failure");
                Sender.Tell(s, Self);
            });
        }

        protected override void PreStart() => _probe.Tell("started", null);
    }
}
