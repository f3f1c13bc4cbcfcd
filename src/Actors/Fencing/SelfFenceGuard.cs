namespace Haven.Actors.Fencing;

/// <summary>This host's part in its partition, as far as self-fencing cares.</summary>
public enum SelfFenceRole
{
    /// <summary>A member of the surviving (or not yet split) partition: may hold resources.</summary>
    Primary,

    /// <summary>Lost the split-brain decision and is releasing its resources, against a deadline.</summary>
    Demoting,

    /// <summary>Lost the split-brain decision and released everything: holds nothing, waits to rejoin.</summary>
    Demoted,

    /// <summary>The daemon is shutting down and releasing its resources.</summary>
    Stopping,

    /// <summary>The daemon released everything and is about to exit: the watchdog may be disarmed.</summary>
    Stopped,
}

/// <summary>What to do with the watchdog on this tick.</summary>
public enum WatchdogCommand
{
    /// <summary>Write the keepalive.</summary>
    Pet,

    /// <summary>Write nothing: the watchdog will reset the host when its timeout runs out.</summary>
    Starve,

    /// <summary>Magic close (clean shutdown).</summary>
    Disarm,
}

public sealed record WatchdogDecision(WatchdogCommand Command, string Reason);

/// <summary>The deadlines of a <see cref="SelfFenceGuard"/>.</summary>
/// <param name="DemoteTimeout">How long a host that lost the split-brain decision may take to release everything.</param>
/// <param name="HangTimeout">How long the daemon may go without reporting progress before it counts as hung.</param>
public sealed record SelfFenceOptions(TimeSpan DemoteTimeout, TimeSpan HangTimeout)
{
    /// <summary>
    /// The options for a watchdog <paramref name="settings"/>: the hang timeout is the demote timeout,
    /// so that either failure resets the host within demote-timeout + timeout (see
    /// <see cref="WatchdogFenceDevice"/> for what the DC side waits).
    /// </summary>
    public static SelfFenceOptions From(WatchdogSettings settings) => new(settings.DemoteTimeout, settings.DemoteTimeout);
}

/// <summary>
/// Decides, from this host's partition role over time, whether to keep petting the watchdog (SBD's
/// self-fencing). Pure and immutable: every method returns the next guard; time is a monotonic
/// <see cref="TimeSpan"/> supplied by the caller (e.g. <c>TimeProvider.GetElapsedTime(start)</c>).
/// <list type="bullet">
/// <item>A host that lost the split-brain decision and has not reported <see cref="DemotionCompleted"/>
/// within <see cref="SelfFenceOptions.DemoteTimeout"/> stops petting, so the watchdog resets it.</item>
/// <item>A daemon that reports no <see cref="Progress"/> for <see cref="SelfFenceOptions.HangTimeout"/>
/// is hung and stops petting.</item>
/// <item>Once it has decided to starve the watchdog it never pets again (the DC may already count the
/// host as fenced); only a reboot clears that.</item>
/// <item><see cref="Stopped"/> (everything released on a clean shutdown) disarms, unless starving already.</item>
/// </list>
/// How to drive it (<see cref="WatchdogKeeper"/> does the timer part): the daemon arms the
/// <see cref="IWatchdog"/> at start (before it may take any resource) and keeps one guard. The ClusterActor reports <see cref="Progress"/> from its own mailbox
/// (e.g. on every tick it handles), <see cref="LostPartition"/> when the resolver says this side goes
/// down, <see cref="DemotionCompleted"/> once its IPs are released and VMs stopped, <see cref="Promoted"/>
/// when it is in a surviving, quorate partition again, and <see cref="Stopping"/>/<see cref="Stopped"/>
/// on shutdown. A timer every timeout / 3 calls <see cref="Decide"/> and carries out the command:
/// <see cref="WatchdogCommand.Pet"/> → <see cref="IWatchdog.Pet"/>; <see cref="WatchdogCommand.Starve"/> →
/// nothing (log the reason once, at Error); <see cref="WatchdogCommand.Disarm"/> → <see cref="IWatchdog.Disarm"/>.
/// A daemon that crashes closes the device without the magic close, so the watchdog resets the host too.
/// </summary>
public sealed record SelfFenceGuard
{
    private SelfFenceGuard(SelfFenceOptions options, TimeSpan now)
    {
        Options = options;
        LastProgress = now;
    }

    public SelfFenceOptions Options { get; }

    public SelfFenceRole Role { get; private init; } = SelfFenceRole.Primary;

    /// <summary>While demoting (or stopping after a lost decision): the time demotion must be complete by.</summary>
    public TimeSpan? DemoteDeadline { get; private init; }

    public TimeSpan LastProgress { get; private init; }

    /// <summary>Why the guard stopped petting for good; null while it pets.</summary>
    public string? StarvedBecause { get; private init; }

    public bool Starving => StarvedBecause is not null;

    /// <summary>A guard for a daemon that starts now: primary, progress now.</summary>
    public static SelfFenceGuard Start(SelfFenceOptions options, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DemoteTimeout <= TimeSpan.Zero || options.HangTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("the demote and hang timeouts must be positive", nameof(options));
        }

        return new SelfFenceGuard(options, now);
    }

    /// <summary>The daemon's main loop is alive at <paramref name="now"/>.</summary>
    public SelfFenceGuard Progress(TimeSpan now) => Latch(now) with { LastProgress = Max(LastProgress, now) };

    /// <summary>This host lost the split-brain decision: demote by now + demote-timeout (an earlier deadline stands).</summary>
    public SelfFenceGuard LostPartition(TimeSpan now)
    {
        var next = Latch(now);
        return next.Role switch
        {
            SelfFenceRole.Primary => next with { Role = SelfFenceRole.Demoting, DemoteDeadline = now + Options.DemoteTimeout },
            SelfFenceRole.Demoting or SelfFenceRole.Stopping => next with { DemoteDeadline = next.DemoteDeadline ?? now + Options.DemoteTimeout },
            _ => next, // demoted or stopped: holds nothing any more
        };
    }

    /// <summary>Everything is released; too late if the deadline has passed (the guard starves then).</summary>
    public SelfFenceGuard DemotionCompleted(TimeSpan now)
    {
        var next = Latch(now);
        return next.Starving || next.Role != SelfFenceRole.Demoting ? next : next with { Role = SelfFenceRole.Demoted, DemoteDeadline = null };
    }

    /// <summary>This host is in a surviving partition again (the split healed, or it rejoined).</summary>
    public SelfFenceGuard Promoted(TimeSpan now)
    {
        var next = Latch(now);
        return next.Starving || next.Role is SelfFenceRole.Stopping or SelfFenceRole.Stopped
            ? next
            : next with { Role = SelfFenceRole.Primary, DemoteDeadline = null };
    }

    /// <summary>The daemon is shutting down; a running demote deadline still applies.</summary>
    public SelfFenceGuard Stopping(TimeSpan now)
    {
        var next = Latch(now);
        return next.Role == SelfFenceRole.Stopped ? next : next with { Role = SelfFenceRole.Stopping };
    }

    /// <summary>The daemon released everything and exits: the next decision disarms (unless starving).</summary>
    public SelfFenceGuard Stopped(TimeSpan now) => Latch(now) with { Role = SelfFenceRole.Stopped, DemoteDeadline = null };

    /// <summary>
    /// This host reboots itself (reboot-lone-host): stop petting for good, whatever the role, so the watchdog
    /// resets it. An earlier reason to starve stands.
    /// </summary>
    public SelfFenceGuard StopPetting(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return Starving ? this : this with { StarvedBecause = reason };
    }

    /// <summary>What to do now, and the guard after it (a starve decision is latched in it).</summary>
    public (SelfFenceGuard Guard, WatchdogDecision Decision) Decide(TimeSpan now)
    {
        var next = Latch(now);
        if (next.StarvedBecause is { } reason)
        {
            return (next, new WatchdogDecision(WatchdogCommand.Starve, reason));
        }

        return next.Role switch
        {
            SelfFenceRole.Stopped => (next, new WatchdogDecision(WatchdogCommand.Disarm, "the daemon stopped cleanly")),
            SelfFenceRole.Demoting => (next, new WatchdogDecision(WatchdogCommand.Pet,
                $"demoting, {(next.DemoteDeadline!.Value - now).TotalSeconds:0.###} s left of demote-timeout")),
            SelfFenceRole.Demoted => (next, new WatchdogDecision(WatchdogCommand.Pet, "demoted, holding nothing")),
            SelfFenceRole.Stopping => (next, new WatchdogDecision(WatchdogCommand.Pet, "stopping")),
            _ => (next, new WatchdogDecision(WatchdogCommand.Pet, "primary")),
        };
    }

    /// <summary>Applies the deadlines at <paramref name="now"/>: the first one missed starves the guard for good.</summary>
    private SelfFenceGuard Latch(TimeSpan now)
    {
        if (Starving || Role == SelfFenceRole.Stopped)
        {
            return this;
        }

        if (now - LastProgress >= Options.HangTimeout)
        {
            return this with { StarvedBecause = $"the daemon made no progress for {(now - LastProgress).TotalSeconds:0.###} s (hang-timeout {Options.HangTimeout.TotalSeconds:0.###} s): hung" };
        }

        if (DemoteDeadline is { } deadline && now >= deadline)
        {
            return this with { StarvedBecause = $"this host lost the split-brain decision and did not finish demoting within demote-timeout ({Options.DemoteTimeout.TotalSeconds:0.###} s)" };
        }

        return this;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
