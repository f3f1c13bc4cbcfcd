namespace Haven.Actors.Runtime;

public interface ICancelable
{
    void Cancel();
    bool IsCancellationRequested { get; }
}

/// <summary>Delayed and repeated sends, on the system's TimeProvider (virtual time under test).</summary>
public interface IScheduler
{
    TimeProvider TimeProvider { get; }
    DateTimeOffset Now { get; }
    ICancelable ScheduleTellOnce(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender);
    ICancelable ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender);
    ICancelable ScheduleOnce(TimeSpan delay, Action action);
}

internal sealed class TimeProviderScheduler(TimeProvider timeProvider) : IScheduler
{
    public TimeProvider TimeProvider { get; } = timeProvider;
    public DateTimeOffset Now => TimeProvider.GetUtcNow();

    public ICancelable ScheduleTellOnce(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender)
    {
        CheckDelay(delay, nameof(delay));
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(message);
        return new ScheduledItem(TimeProvider, delay, Timeout.InfiniteTimeSpan, () => receiver.Tell(message, sender));
    }

    public ICancelable ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender)
    {
        CheckDelay(initialDelay, nameof(initialDelay));
        if (interval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "repeat interval must be positive");
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(message);
        return new ScheduledItem(TimeProvider, initialDelay, interval, () => receiver.Tell(message, sender));
    }

    public ICancelable ScheduleOnce(TimeSpan delay, Action action)
    {
        CheckDelay(delay, nameof(delay));
        ArgumentNullException.ThrowIfNull(action);
        return new ScheduledItem(TimeProvider, delay, Timeout.InfiniteTimeSpan, action);
    }

    private static void CheckDelay(TimeSpan delay, string name)
    {
        if (delay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, delay, "scheduling delay must not be negative");
    }

    /// <summary>The timer's state is this item, which holds the timer: the timer stays rooted until it fires or is cancelled.</summary>
    private sealed class ScheduledItem : ICancelable
    {
        private readonly Action _action;
        private readonly bool _once;
        private readonly ITimer _timer;
        private volatile bool _cancelled;

        public ScheduledItem(TimeProvider tp, TimeSpan delay, TimeSpan period, Action action)
        {
            _action = action;
            _once = period == Timeout.InfiniteTimeSpan;
            _timer = tp.CreateTimer(static s => ((ScheduledItem)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(delay, period);
        }

        public bool IsCancellationRequested => _cancelled;

        public void Cancel()
        {
            _cancelled = true;
            _timer.Dispose();
        }

        private void Fire()
        {
            if (_cancelled) return;
            if (_once) _cancelled = true;
            _action();
            if (_once) _timer.Dispose();
        }
    }
}
