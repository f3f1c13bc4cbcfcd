using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Haven.Actors.Akka;

/// <summary>
/// Akka's scheduler on a loop's <see cref="VirtualClock"/>, selected by <c>akka.scheduler.implementation</c>
/// (the generated config sets it and <c>haven.sim.loop</c>). Unlike Akka.TestKit's TestScheduler it has a fixed
/// epoch shared by every host, fires a periodic timer once per period passed (exact catch-up) and honours the
/// cancelable of every overload. Its monotonic clocks are the virtual clock too.
/// </summary>
public sealed class VirtualScheduler : SchedulerBase
{
    private readonly VirtualClock _clock;

    public VirtualScheduler(Config config, ILoggingAdapter log) : base(config, log) =>
        _clock = SimLoop.Named(config.GetString(AkkaConfig.LoopKey)
                               ?? throw new InvalidOperationException($"{AkkaConfig.LoopKey} is not set")).Clock;

    protected override DateTimeOffset TimeNow => _clock.UtcNow;

    public override TimeSpan MonotonicClock => _clock.Now;

    public override TimeSpan HighResMonotonicClock => _clock.Now;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender,
        ICancelable cancelable) =>
        _clock.Schedule(delay, () => receiver.Tell(message, sender), Cancelled(cancelable));

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver,
        object message, IActorRef sender, ICancelable cancelable) =>
        _clock.Schedule(initialDelay, () => receiver.Tell(message, sender), Cancelled(cancelable), interval);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        _clock.Schedule(delay, action, Cancelled(cancelable));

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        _clock.Schedule(delay, action.Run, Cancelled(cancelable));

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action,
        ICancelable cancelable) =>
        _clock.Schedule(initialDelay, action, Cancelled(cancelable), interval);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action,
        ICancelable cancelable) =>
        _clock.Schedule(initialDelay, action.Run, Cancelled(cancelable), interval);

    private static Func<bool>? Cancelled(ICancelable? cancelable) =>
        cancelable is null ? null : () => cancelable.IsCancellationRequested;
}
