using Haven.Actors.Akka;
using Haven.Actors.Runtime;
using HavenClock = Haven.Actors.Runtime.VirtualClock;

namespace Haven.Actors.Simulation;

/// <summary>How a simulation runs its hosts' actors between the harness's steps.</summary>
public enum SimulationScheduler
{
    /// <summary>Haven's <see cref="DeterministicDispatcher"/>: mailboxes run first in, first out (the pinned seeds found before the loop, the scenarios).</summary>
    Fifo,

    /// <summary>
    /// The default. One <see cref="SimLoop"/>: its seeded Random picks which pending mailbox runs next, as Akka actors are run in
    /// the port (docs/akka.md). The same seed gives another history than under <see cref="Fifo"/>.
    /// </summary>
    Loop,
}

/// <summary>A scheduler's name on the command line, in swarm lines and in regression-seeds.txt: `fifo` or `loop`.</summary>
public static class SimulationSchedulerNames
{
    public static string Format(SimulationScheduler scheduler) => scheduler == SimulationScheduler.Loop ? "loop" : "fifo";

    public static bool TryParse(string? text, out SimulationScheduler scheduler)
    {
        scheduler = text == "loop" ? SimulationScheduler.Loop : SimulationScheduler.Fifo;
        return text is "fifo" or "loop";
    }
}

/// <summary>The dispatcher, the shared virtual time and the draining a <see cref="ClusterSimulation"/> runs on.</summary>
internal abstract class SimulationRuntime : IDisposable
{
    public static SimulationRuntime For(SimulationScheduler scheduler, int seed) => scheduler switch
    {
        SimulationScheduler.Fifo => new FifoRuntime(),
        SimulationScheduler.Loop => new LoopRuntime(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(scheduler), scheduler, "unknown simulation scheduler"),
    };

    /// <summary>Every host's actor system runs on it.</summary>
    public abstract MessageDispatcher Dispatcher { get; }

    /// <summary>The one timeline: hosts' clocks wrap it, the harness's own timers are set on it.</summary>
    public abstract TimeProvider Time { get; }

    public DateTimeOffset GetUtcNow() => Time.GetUtcNow();

    public ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Time.CreateTimer(callback, state, dueTime, period);

    /// <summary>When the earliest armed timer is due, or null.</summary>
    public abstract DateTimeOffset? NextDue { get; }

    /// <summary>Moves time to <paramref name="target"/>, firing every timer due by then in order (nothing runs in between).</summary>
    public abstract void AdvanceTo(DateTimeOffset target);

    /// <summary>Runs the actors until none has work; throws InvalidOperationException "did not become idle" past <paramref name="maxSteps"/>.</summary>
    public abstract void RunUntilIdle(int maxSteps);

    public virtual void Dispose() { }

    private sealed class FifoRuntime : SimulationRuntime
    {
        private readonly DeterministicDispatcher _dispatcher = new();
        private readonly HavenClock _clock = new(); // not attached: the harness drains the dispatcher itself, with a livelock bound

        public override MessageDispatcher Dispatcher => _dispatcher;
        public override TimeProvider Time => _clock;
        public override DateTimeOffset? NextDue => _clock.NextDue;
        public override void AdvanceTo(DateTimeOffset target) => _clock.AdvanceTo(target);
        public override void RunUntilIdle(int maxSteps) => _dispatcher.RunUntilIdle(maxSteps);
    }

    private sealed class LoopRuntime : SimulationRuntime
    {
        private static long _runs;
        private readonly SimLoop _loop;
        private readonly LoopDispatcher _dispatcher;

        public LoopRuntime(int seed)
        {
            _loop = new SimLoop($"simulation-{Interlocked.Increment(ref _runs)}", unchecked(seed * 1_000_033 + 29)) { TracePicks = false };
            _loop.Freeze();
            _dispatcher = new LoopDispatcher(_loop);
        }

        public override MessageDispatcher Dispatcher => _dispatcher;
        public override TimeProvider Time => _loop.Clock.TimeProvider;
        public override DateTimeOffset? NextDue => _loop.Clock.NextDue is { } due ? Akka.VirtualClock.Epoch + due : null;

        public override void AdvanceTo(DateTimeOffset target)
        {
            var until = target - Akka.VirtualClock.Epoch;
            if (until < _loop.Clock.Now)
                throw new ArgumentOutOfRangeException(nameof(target), target, $"virtual time cannot go backwards from {_loop.Clock.UtcNow:O}");
            while (_loop.Clock.AdvanceToNextDue(until)) { }
        }

        // The loop's own bound and escape check: it throws the "did not become idle" the harness reads as a livelock.
        public override void RunUntilIdle(int maxSteps) => _loop.RunUntilIdle(maxSteps);

        public override void Dispose() => _loop.Dispose();
    }
}
