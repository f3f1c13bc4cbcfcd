namespace Haven.Actors.SplitBrain;

/// <summary>What the resolver should do now.</summary>
public abstract record StabilityVerdict
{
    private StabilityVerdict() { }

    /// <summary>The view has not changed for stable-after: decide with the strategy.</summary>
    public sealed record Stable : StabilityVerdict;

    /// <summary>Not stable yet: check again at <paramref name="Until"/> (set a timer).</summary>
    public sealed record Waiting(DateTimeOffset Until) : StabilityVerdict;

    /// <summary>The membership has kept changing for too long: down everyone.</summary>
    public sealed record DownAllUnstable(TimeSpan UnstableFor) : StabilityVerdict;
}

/// <summary>
/// The stable-after rule as a pure state machine. Time is always passed in.
/// <list type="bullet">
/// <item>Every membership change restarts the stable-after wait and, if none is running, starts an
/// unstable period.</item>
/// <item><see cref="Evaluate"/> answers <see cref="StabilityVerdict.Stable"/> once the view has not changed
/// for <see cref="StableAfter"/>; the caller decides and calls <see cref="Decided"/>, which ends the
/// unstable period.</item>
/// <item>down-all-when-unstable: when an unstable period has lasted stable-after +
/// <see cref="DownAllWhenUnstable"/> without ever becoming stable, the answer is
/// <see cref="StabilityVerdict.DownAllUnstable"/> (the default tolerance, 3/4 of stable-after but at least 1 s,
/// means down-all after 1.75 × stable-after of continuous flapping, 1.5 s with the default 500 ms). A view that is stable wins over the limit.</item>
/// </list>
/// </summary>
public sealed record StableAfterTracker(
    TimeSpan StableAfter,
    TimeSpan? DownAllWhenUnstable,
    DateTimeOffset LastChangeAt,
    DateTimeOffset? UnstableSince)
{
    public static StableAfterTracker Start(TimeSpan stableAfter, TimeSpan? downAllWhenUnstable, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stableAfter, TimeSpan.Zero);
        if (downAllWhenUnstable is { } extra) ArgumentOutOfRangeException.ThrowIfLessThan(extra, TimeSpan.Zero);
        return new StableAfterTracker(stableAfter, downAllWhenUnstable, now, null);
    }

    /// <summary>When the current unstable period turns into down-all, or null.</summary>
    public DateTimeOffset? DownAllAt => UnstableSince is { } since && DownAllWhenUnstable is { } extra ? since + StableAfter + extra : null;

    /// <summary>When the view becomes stable if nothing changes.</summary>
    public DateTimeOffset StableAt => LastChangeAt + StableAfter;

    public StableAfterTracker MembershipChanged(DateTimeOffset now)
    {
        EnsureNotBefore(now);
        return this with { LastChangeAt = now, UnstableSince = UnstableSince ?? now };
    }

    public StabilityVerdict Evaluate(DateTimeOffset now)
    {
        EnsureNotBefore(now);
        if (now >= StableAt) return new StabilityVerdict.Stable();
        if (DownAllAt is { } downAllAt && now >= downAllAt)
            return new StabilityVerdict.DownAllUnstable(now - UnstableSince!.Value);
        return new StabilityVerdict.Waiting(DownAllAt is { } at && at < StableAt ? at : StableAt);
    }

    /// <summary>A decision was taken: the unstable period ends.</summary>
    public StableAfterTracker Decided() => this with { UnstableSince = null };

    private void EnsureNotBefore(DateTimeOffset now)
    {
        if (now < LastChangeAt)
            throw new ArgumentOutOfRangeException(nameof(now), now, $"Time went backwards: last membership change was at {LastChangeAt:O}.");
    }
}
