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
    private readonly List<HostTimer> _live = [];
    private double _slowdown = 1;

    /// <summary>
    /// 1 for a healthy host; 2–5 when its timers run slow. A change rescales the time left on every pending timer
    /// (and its period), so a host put back on time does not keep timers stretched while it was slow.
    /// </summary>
    public double Slowdown
    {
        get => _slowdown;
        set
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(nameof(value), value, "a slowdown is positive");
            if (value == _slowdown) return;
            var was = _slowdown;
            _slowdown = value;
            foreach (var timer in _live.ToList()) timer.Rescale(was, value);
        }
    }

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
        _live.Clear();
    }

    private TimeSpan Scale(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero || Slowdown == 1 ? span : TimeSpan.FromTicks((long)(span.Ticks * Slowdown));

    private sealed class HostTimer : ITimer
    {
        private readonly HostClock _clock;
        private readonly TimeProvider _inner;
        private readonly ITimer _timer;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private TimeSpan _period = Timeout.InfiniteTimeSpan; // as asked, unscaled
        private DateTimeOffset? _dueAt; // when the inner timer fires next (scaled)
        private bool _disposed;

        public HostTimer(HostClock clock, TimeProvider inner, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _clock = clock;
            _inner = inner;
            _callback = callback;
            _state = state;
            _timer = inner.CreateTimer(static s => ((HostTimer)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            clock._live.Add(this);
            Change(dueTime, period);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            var due = _clock.Scale(dueTime);
            _dueAt = due == Timeout.InfiniteTimeSpan ? null : _inner.GetUtcNow() + (due < TimeSpan.Zero ? TimeSpan.Zero : due);
            return _timer.Change(due, _clock.Scale(period));
        }

        /// <summary>The time left to the next firing, and the period, go from <paramref name="was"/>'s scale to <paramref name="now"/>'s.</summary>
        public void Rescale(double was, double now)
        {
            if (_disposed || _dueAt is not { } at) return;
            var left = at - _inner.GetUtcNow();
            var scaled = left <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)(left.Ticks / was * now));
            _dueAt = _inner.GetUtcNow() + scaled;
            _timer.Change(scaled, _clock.Scale(_period));
        }

        private void Fire()
        {
            if (_disposed) return;
            _dueAt = _period == Timeout.InfiniteTimeSpan || _period <= TimeSpan.Zero ? null : _inner.GetUtcNow() + _clock.Scale(_period);
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
            _clock._live.Remove(this);
            _timer.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
