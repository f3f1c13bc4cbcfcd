using Akka.Actor;
using Akka.Configuration;
using Haven.Actors.Akka;

namespace Haven.Actors.Tests.Akka;

/// <summary>One message per turn, and work that leaves the loop fails the run.</summary>
public sealed class LoopGrainTests : IDisposable
{
    private readonly SimHosts _hosts = new($"grain-{Guid.NewGuid():N}", 3, ["host0"],
        ConfigurationFactory.ParseString("stock-mailbox.mailbox-type = \"Akka.Dispatch.UnboundedMailbox\""));
    private SimLoop Loop => _hosts.Loop;
    private ActorSystem Sys => _hosts.Systems[0];

    public void Dispose() => _hosts.Dispose();

    /// <summary>Records the loop turn each message was handled in.</summary>
    private sealed class TurnRecorder : ReceiveActor
    {
        public TurnRecorder(SimLoop loop, List<long> turns) => ReceiveAny(_ => turns.Add(loop.Turn));
    }

    [Fact]
    public void OneMessageMailbox_EveryMessageIsItsOwnTurn()
    {
        var turns = new List<long>();
        var actor = Sys.ActorOf(Props.Create(() => new TurnRecorder(Loop, turns)), "rec");
        for (var i = 0; i < 5; i++) actor.Tell(i);
        Loop.RunUntilIdle();
        Assert.Equal(5, turns.Count);
        Assert.Equal(5, turns.Distinct().Count());
    }

    [Fact]
    public void StockAkkaMailbox_HandlesTwoMessagesInOneTurn_WhichIsWhyTheSimulationReplacesIt()
    {
        var turns = new List<long>();
        var actor = Sys.ActorOf(Props.Create(() => new TurnRecorder(Loop, turns)).WithMailbox("stock-mailbox"), "rec");
        for (var i = 0; i < 6; i++) actor.Tell(i);
        Loop.RunUntilIdle();
        Assert.Equal(6, turns.Count);
        Assert.True(turns.Distinct().Count() < 6, $"turns: {string.Join(",", turns)}");
    }

    private sealed class EscaperActor : ReceiveActor
    {
        public EscaperActor(IActorRef replier)
        {
            var self = Self;
            Receive<string>(m => m == "task-run", _ => Task.Run(() => self.Tell("late")));
            Receive<string>(m => m == "task-run-in-turn", (Action<string>)(m =>
            {
                // the foreign Tell lands while this mailbox is still running its turn: no new schedule reaches the loop
                using var told = new ManualResetEventSlim();
                _ = Task.Run(() => { self.Tell("late"); told.Set(); });
                if (!told.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("the pool never ran the Tell");
            }));
            Receive<string>(m => m == "pipe-default", _ => replier.Ask<int>("q").PipeTo(self));
            Receive<string>(m => m == "pipe-loop", _ => replier.Ask<int>("q").PipeTo(self, useConfigureAwait: true));
            Receive<int>(n => Context.System.EventStream.Publish(new Piped(n)));
            Receive<string>(_ => { });
        }
    }

    private sealed record Piped(int N);

    private sealed class Replier : ReceiveActor
    {
        public Replier() => Receive<string>(_ => Sender.Tell(42));
    }

    private IActorRef Escaper()
    {
        var replier = Sys.ActorOf(Props.Create(() => new Replier()), "replier");
        return Sys.ActorOf(Props.Create(() => new EscaperActor(replier)), "escaper");
    }

    /// <summary>Steps until the escape from the thread pool has arrived (a condition wait) and the loop refuses to go on.</summary>
    private SimEscapeException AwaitEscape()
    {
        Assert.True(SpinWait.SpinUntil(() => Loop.Escapes.Count > 0, TimeSpan.FromSeconds(30)), "no escape recorded");
        return Assert.Throws<SimEscapeException>(() => Loop.Step());
    }

    [Fact]
    public void EscapeDetector_TaskRunInAnActor_FailsTheRunWithTheStack()
    {
        Escaper().Tell("task-run");
        try { Loop.RunUntilIdle(); } catch (SimEscapeException) { /* arrived already */ }
        var escape = AwaitEscape();
        Assert.Contains("escaped the loop", escape.Message);
        Assert.Contains("Tell", escape.Message); // the stack of the foreign Tell
        Assert.Throws<SimEscapeException>(() => Loop.RunUntilIdle()); // and it stays failed
    }

    [Fact]
    public void EscapeDetector_ForeignTellToAMailboxInItsTurn_FailsTheRun()
    {
        Escaper().Tell("task-run-in-turn");
        Assert.Throws<SimEscapeException>(() => Loop.RunUntilIdle());
        Assert.Contains("a message to", Loop.Escapes[0]);
        Assert.Throws<SimEscapeException>(() => Loop.Step());
    }

    [Fact]
    public void EscapeDetector_PipeToWithItsDefaultConfigureAwaitFalse_FailsTheRun()
    {
        Escaper().Tell("pipe-default");
        try { Loop.RunUntilIdle(); } catch (SimEscapeException) { /* arrived already */ }
        Assert.Contains("escaped the loop", AwaitEscape().Message);
    }

    [Fact]
    public void PipeToWithUseConfigureAwaitTrue_StaysOnTheLoop()
    {
        var piped = new List<int>();
        var listener = Sys.ActorOf(Props.Create(() => new PipedListener(piped)), "listener");
        Sys.EventStream.Subscribe(listener, typeof(Piped));
        Escaper().Tell("pipe-loop");
        Loop.RunUntilIdle();
        Assert.Equal([42], piped);
        Assert.Empty(Loop.Escapes);
    }

    private sealed class PipedListener : ReceiveActor
    {
        public PipedListener(List<int> piped) => Receive<Piped>(p => piped.Add(p.N));
    }
}
