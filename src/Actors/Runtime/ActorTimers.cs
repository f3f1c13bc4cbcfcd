namespace Haven.Actors.Runtime;

/// <summary>
/// Keyed timers owned by one actor. Starting a timer with a key that is in use replaces it: a message
/// of the old timer already in the mailbox is dropped. All timers are cancelled when the actor stops
/// or restarts.
/// </summary>
public interface ITimerScheduler
{
    void StartSingleTimer(object key, object message, TimeSpan delay);
    void StartPeriodicTimer(object key, object message, TimeSpan interval);
    void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval);
    bool IsTimerActive(object key);
    void Cancel(object key);
    void CancelAll();
    IReadOnlyCollection<object> ActiveTimers { get; }
}

internal sealed class ActorTimers(ActorCell cell) : ITimerScheduler
{
    private readonly Dictionary<object, Entry> _timers = new();
    private long _generation;

    public IReadOnlyCollection<object> ActiveTimers => _timers.Keys.ToArray();

    public void StartSingleTimer(object key, object message, TimeSpan delay) => Start(key, message, delay, null);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval) => Start(key, message, interval, interval);

    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(interval), interval, $"periodic timer '{key}' needs a positive interval");
        Start(key, message, initialDelay, interval);
    }

    public bool IsTimerActive(object key) => _timers.ContainsKey(key);

    public void Cancel(object key)
    {
        if (_timers.Remove(key, out var e)) e.Task.Cancel();
    }

    public void CancelAll()
    {
        foreach (var e in _timers.Values) e.Task.Cancel();
        _timers.Clear();
    }

    private void Start(object key, object message, TimeSpan delay, TimeSpan? interval)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        Cancel(key);
        var tick = new TimerTick(this, key, ++_generation);
        var scheduler = cell.System.Scheduler;
        var task = interval is { } i
            ? scheduler.ScheduleTellRepeatedly(delay, i, cell.SelfRef, tick, null)
            : scheduler.ScheduleTellOnce(delay, cell.SelfRef, tick, null);
        _timers[key] = new Entry(message, tick.Generation, interval is not null, task);
    }

    /// <summary>The payload to deliver for this tick, or null when the timer was cancelled or replaced since.</summary>
    internal object? Accept(TimerTick tick)
    {
        if (!ReferenceEquals(tick.Owner, this) || !_timers.TryGetValue(tick.Key, out var e) || e.Generation != tick.Generation)
            return null;
        if (!e.Periodic) _timers.Remove(tick.Key);
        return e.Message;
    }

    private sealed record Entry(object Message, long Generation, bool Periodic, ICancelable Task);
}

/// <summary>What a timer actually enqueues; unwrapped (or dropped) by the actor cell.</summary>
internal sealed record TimerTick(ActorTimers Owner, object Key, long Generation);
