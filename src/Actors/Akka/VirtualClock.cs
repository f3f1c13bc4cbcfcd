namespace Haven.Actors.Akka;

/// <summary>
/// The virtual time of one <see cref="SimLoop"/>, shared by every host on it: a fixed epoch, a timer queue
/// ordered by (due time, arming order), and time that moves only when the driver advances it — to the next
/// due timer, never past one. A periodic timer therefore fires once for every period that time passes over
/// (exact catch-up), each firing at its own instant with the loop run to idle in between.
/// </summary>
public sealed class VirtualClock
{
    /// <summary>What <see cref="Now"/> = 0 reads as on a wall clock; the same for every host, run and process.</summary>
    public static readonly DateTimeOffset Epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private readonly PriorityQueue<Timer, (TimeSpan Due, long Order)> _timers = new();
    private long _order;
    private TimeSpan _now;

    internal VirtualClock(SimLoop loop)
    {
        Loop = loop;
        TimeProvider = new VirtualTimeProvider(this);
    }

    public SimLoop Loop { get; }

    /// <summary>Time since <see cref="Epoch"/>.</summary>
    public TimeSpan Now { get { lock (_gate) return _now; } }

    public DateTimeOffset UtcNow => Epoch + Now;

    /// <summary>A TimeProvider on this clock for code that takes one (its timers fire on the loop).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Timers armed and not cancelled.</summary>
    public int ArmedCount
    {
        get
        {
            lock (_gate) return _timers.UnorderedItems.Count(t => !t.Element.IsCancelled);
        }
    }

    /// <summary>When the earliest armed, not cancelled timer is due (time since the epoch), or null.</summary>
    public TimeSpan? NextDue
    {
        get
        {
            lock (_gate)
            {
                while (_timers.TryPeek(out var head, out _) && head.IsCancelled) _timers.Dequeue();
                return _timers.TryPeek(out var first, out _) ? first.Due : null;
            }
        }
    }

    /// <summary>
    /// Arms <paramref name="fire"/> at now + <paramref name="delay"/>, then every <paramref name="interval"/>
    /// when one is given; <paramref name="isCancelled"/> is read before each firing (a cancelled timer never
    /// fires again and does not hold time back).
    /// </summary>
    public void Schedule(TimeSpan delay, Action fire, Func<bool>? isCancelled = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(fire);
        if (delay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(delay), delay, "a delay must be >= 0");
        if (interval is { } i && i <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), i, "an interval must be > 0");
        lock (_gate) Arm(new Timer(_now + delay, fire, isCancelled, interval));
    }

    private void Arm(Timer timer) => _timers.Enqueue(timer, (timer.Due, ++_order));

    /// <summary>
    /// Moves to the earliest armed timer due at or before <paramref name="until"/> and fires every timer due at
    /// that instant (in arming order): true. With none, moves to <paramref name="until"/> (never backwards): false.
    /// Call only with the loop idle, from the thread that steps it.
    /// </summary>
    public bool AdvanceToNextDue(TimeSpan until)
    {
        var due = new List<Timer>();
        lock (_gate)
        {
            while (_timers.TryPeek(out var head, out _) && head.IsCancelled) _timers.Dequeue();
            if (!_timers.TryPeek(out var first, out _) || first.Due > until)
            {
                if (until > _now) _now = until;
                return false;
            }
            if (first.Due > _now) _now = first.Due;
            while (_timers.TryPeek(out var next, out _) && next.Due <= _now)
            {
                _timers.Dequeue();
                if (next.IsCancelled) continue;
                due.Add(next);
                if (next.Interval is { } interval) Arm(next with { Due = next.Due + interval });
            }
        }
        foreach (var timer in due) timer.Fire();
        return true;
    }

    /// <summary>Back to the epoch for the next seed; refuses while a timer is armed (it would leak into that seed).</summary>
    internal void Reset()
    {
        lock (_gate)
        {
            while (_timers.TryPeek(out var head, out _) && head.IsCancelled) _timers.Dequeue();
            if (_timers.Count > 0 && _timers.UnorderedItems.Any(t => !t.Element.IsCancelled))
                throw new InvalidOperationException(
                    $"loop {Loop.Name}: cannot reset the clock with {ArmedCountLocked()} timer(s) armed " +
                    $"(first due at {_timers.Peek().Due}: {_timers.Peek().Fire.Method.DeclaringType}); stop the actors that own them first");
            _timers.Clear();
            _now = TimeSpan.Zero;
        }
    }

    private int ArmedCountLocked() => _timers.UnorderedItems.Count(t => !t.Element.IsCancelled);

    private sealed record Timer(TimeSpan Due, Action Fire, Func<bool>? Cancelled, TimeSpan? Interval)
    {
        public bool IsCancelled => Cancelled?.Invoke() == true;
    }
}

/// <summary>A TimeProvider reading a <see cref="VirtualClock"/>; its timers fire on the loop when time is advanced.</summary>
internal sealed class VirtualTimeProvider(VirtualClock clock) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => clock.UtcNow;

    public override long GetTimestamp() => clock.Now.Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new VirtualTimer(clock, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class VirtualTimer(VirtualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private int _generation;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed) return false;
            var generation = ++_generation;
            if (dueTime == Timeout.InfiniteTimeSpan) return true;
            TimeSpan? interval = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            clock.Schedule(dueTime, () => callback(state), () => _disposed || _generation != generation, interval);
            return true;
        }

        public void Dispose() => _disposed = true;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
