namespace Haven.Actors.Simulation;

/// <summary>
/// A simulated host's view of the shared virtual clock: its timers can run slow (every due time and period
/// stretched by <see cref="Slowdown"/>, for timers set while it is slow) and can be held while its daemon
/// hangs (<see cref="Hang"/>: a timer that comes due fires once, late, at <see cref="Resume"/>). The time it
/// reads is the shared clock's. Everything runs on the harness thread, in the clock's order.
/// </summary>
internal sealed class HostClock(TimeProvider inner) : TimeProvider
{
    private readonly List<HostTimer> _deferred = [];

    /// <summary>1 for a healthy host; 2–5 when its timers run slow.</summary>
    public double Slowdown { get; set; } = 1;

    public bool Hung { get; private set; }

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return new HostTimer(this, inner, callback, state, dueTime, period);
    }

    public void Hang() => Hung = true;

    /// <summary>Ends a hang: the timers that came due meanwhile fire now, each once, in the order they came due.</summary>
    public void Resume()
    {
        Hung = false;
        var due = _deferred.ToList();
        _deferred.Clear();
        foreach (var timer in due) timer.FireDeferred();
    }

    /// <summary>A new incarnation starts with nothing held.</summary>
    public void Reset()
    {
        Hung = false;
        _deferred.Clear();
    }

    private TimeSpan Scale(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero || Slowdown == 1 ? span : TimeSpan.FromTicks((long)(span.Ticks * Slowdown));

    private sealed class HostTimer : ITimer
    {
        private readonly HostClock _clock;
        private readonly ITimer _timer;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private bool _disposed;

        public HostTimer(HostClock clock, TimeProvider inner, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _clock = clock;
            _callback = callback;
            _state = state;
            _timer = inner.CreateTimer(static s => ((HostTimer)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Change(dueTime, period);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => _timer.Change(_clock.Scale(dueTime), _clock.Scale(period));

        private void Fire()
        {
            if (_disposed) return;
            if (_clock.Hung)
            {
                if (!_clock._deferred.Contains(this)) _clock._deferred.Add(this);
                return;
            }
            _callback(_state);
        }

        public void FireDeferred()
        {
            if (!_disposed) _callback(_state);
        }

        public void Dispose()
        {
            _disposed = true;
            _timer.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
