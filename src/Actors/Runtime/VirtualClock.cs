namespace Haven.Actors.Runtime;

/// <summary>
/// Virtual time for deterministic runs. Time stands still until <see cref="Advance"/> or
/// <see cref="AdvanceTo"/>, which fire due timers one by one in (due time, creation order) and, when a
/// <see cref="DeterministicDispatcher"/> is attached, run it until idle before the first and after every
/// timer, so each timer sees the effects of the previous one. One clock may serve several ActorSystems.
/// </summary>
public sealed class VirtualClock : TimeProvider
{
    private readonly SortedSet<VirtualTimer> _timers = new(VirtualTimer.Order);
    private readonly Lock _lock = new();
    private DateTimeOffset _now;
    private long _sequence;

    public VirtualClock(DateTimeOffset? start = null, DeterministicDispatcher? dispatcher = null)
    {
        _now = start ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Dispatcher = dispatcher;
    }

    /// <summary>Run between timers; may be set once after construction.</summary>
    public DeterministicDispatcher? Dispatcher { get; set; }

    public override DateTimeOffset GetUtcNow() { lock (_lock) return _now; }
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>Due time of the earliest active timer, or null.</summary>
    public DateTimeOffset? NextDue { get { lock (_lock) return _timers.Count == 0 ? null : _timers.Min!.Due; } }

    public int ActiveTimerCount { get { lock (_lock) return _timers.Count; } }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new VirtualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(by), by, "virtual time cannot go backwards");
        AdvanceTo(GetUtcNow() + by);
    }

    public void AdvanceTo(DateTimeOffset target)
    {
        if (target < GetUtcNow())
            throw new ArgumentOutOfRangeException(nameof(target), target, $"virtual time cannot go backwards from {GetUtcNow():O}");
        Dispatcher?.RunUntilIdle();
        while (true)
        {
            VirtualTimer? due;
            lock (_lock)
            {
                due = _timers.Count == 0 ? null : _timers.Min;
                if (due is null || due.Due > target) break;
                _timers.Remove(due);
                if (due.Due > _now) _now = due.Due;
                if (due.Period > TimeSpan.Zero)
                {
                    due.Due += due.Period;
                    due.Sequence = ++_sequence;
                    _timers.Add(due);
                }
                else due.Active = false;
            }
            due.Callback(due.State);
            Dispatcher?.RunUntilIdle();
        }
        lock (_lock) _now = target;
    }

    private void Schedule(VirtualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_lock)
        {
            if (timer.Active) _timers.Remove(timer);
            timer.Active = false;
            if (dueTime == Timeout.InfiniteTimeSpan) return;
            if (dueTime < TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "timer due time must be ≥ 0 or infinite");
            timer.Due = _now + dueTime;
            timer.Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
            timer.Sequence = ++_sequence;
            timer.Active = true;
            _timers.Add(timer);
        }
    }

    private void Remove(VirtualTimer timer)
    {
        lock (_lock)
        {
            if (timer.Active) _timers.Remove(timer);
            timer.Active = false;
        }
    }

    private sealed class VirtualTimer(VirtualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public static readonly IComparer<VirtualTimer> Order = Comparer<VirtualTimer>.Create((a, b) =>
        {
            var c = a.Due.CompareTo(b.Due);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        });

        public TimerCallback Callback { get; } = callback;
        public object? State { get; } = state;
        public DateTimeOffset Due { get; set; }
        public TimeSpan Period { get; set; }
        public long Sequence { get; set; }
        public bool Active { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => clock.Remove(this);
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
