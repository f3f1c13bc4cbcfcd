namespace Haven.Actors.Runtime;

/// <summary>What a supervisor does with a failed child.</summary>
public enum Directive
{
    /// <summary>Keep the child and its state; the failing message is dropped.</summary>
    Resume,
    /// <summary>Replace the child's instance (fresh state); its mailbox is kept.</summary>
    Restart,
    /// <summary>Stop the child.</summary>
    Stop,
    /// <summary>Fail the supervisor itself with the same exception (its own supervisor decides).</summary>
    Escalate,
}

/// <summary>Exponential backoff between restarts: min·2ⁿ capped at max, times (1 + random·RandomFactor).</summary>
public sealed record RestartBackoff(TimeSpan MinBackoff, TimeSpan MaxBackoff, double RandomFactor)
{
    public RestartBackoff Validate()
    {
        if (MinBackoff <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MinBackoff), MinBackoff, "backoff minimum must be positive");
        if (MaxBackoff < MinBackoff)
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff, $"backoff maximum must be ≥ minimum {MinBackoff}");
        if (RandomFactor is < 0 or > 1 || double.IsNaN(RandomFactor))
            throw new ArgumentOutOfRangeException(nameof(RandomFactor), RandomFactor, "backoff random factor must be within [0, 1]");
        return this;
    }

    /// <summary>Delay before restart number <paramref name="restartsBefore"/> + 1 within the window.</summary>
    public TimeSpan DelayFor(int restartsBefore, double random01)
    {
        var factor = Math.Pow(2, Math.Min(restartsBefore, 30));
        var ticks = Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks * factor);
        return TimeSpan.FromTicks((long)(ticks * (1 + random01 * RandomFactor)));
    }
}

public abstract class SupervisorStrategy
{
    /// <summary>Akka's default decider: initialization failures, Kill and death pacts stop; everything else restarts.</summary>
    public static Directive DefaultDecider(Exception cause) => cause switch
    {
        ActorInitializationException or ActorKilledException or DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    /// <summary>One-for-one, unlimited restarts, default decider.</summary>
    public static readonly SupervisorStrategy Default = new OneForOneStrategy(DefaultDecider);

    /// <summary>Stops any failing child.</summary>
    public static readonly SupervisorStrategy StoppingStrategy = new OneForOneStrategy(_ => Directive.Stop);

    public abstract Directive Decide(Exception cause);

    /// <summary>
    /// Bookkeeping for one more restart of a child: false when the retries are used up (the child is then
    /// stopped). Sets <paramref name="delay"/> to the backoff before the restart (zero without backoff).
    /// </summary>
    internal abstract bool RequestRestart(ChildRestartStats stats, DateTimeOffset now, Func<double> random, out TimeSpan delay);
}

/// <summary>
/// Applies the decider to the failed child only. maxNrOfRetries &lt; 0 means unlimited; the count is kept
/// per child within withinTimeRange (null: forever); more restarts than allowed in the window stop the child.
/// </summary>
public sealed class OneForOneStrategy : SupervisorStrategy
{
    private readonly Func<Exception, Directive> _decider;

    public OneForOneStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Func<Exception, Directive> decider,
        RestartBackoff? backoff = null)
    {
        ArgumentNullException.ThrowIfNull(decider);
        if (withinTimeRange is { } w && w <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(withinTimeRange), w, "supervision window must be positive (or null for no window)");
        MaxNrOfRetries = maxNrOfRetries;
        WithinTimeRange = withinTimeRange;
        Backoff = backoff?.Validate();
        _decider = decider;
    }

    public OneForOneStrategy(Func<Exception, Directive> decider) : this(-1, null, decider) { }

    public int MaxNrOfRetries { get; }
    public TimeSpan? WithinTimeRange { get; }
    public RestartBackoff? Backoff { get; }

    public override Directive Decide(Exception cause) => _decider(cause);

    internal override bool RequestRestart(ChildRestartStats stats, DateTimeOffset now, Func<double> random, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        if (WithinTimeRange is { } window && (stats.WindowStart is null || now - stats.WindowStart.Value > window))
        {
            stats.WindowStart = now;
            stats.Retries = 0;
        }
        var before = stats.Retries;
        stats.Retries++;
        if (MaxNrOfRetries >= 0 && stats.Retries > MaxNrOfRetries) return false;
        if (Backoff is { } b) delay = b.DelayFor(before, random());
        return true;
    }
}

/// <summary>Restart count of one child within the current window.</summary>
internal sealed class ChildRestartStats
{
    public int Retries { get; set; }
    public DateTimeOffset? WindowStart { get; set; }
}
