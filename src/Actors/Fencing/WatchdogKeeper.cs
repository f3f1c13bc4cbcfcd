using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Actors.Fencing;

/// <summary>
/// Drives an <see cref="IWatchdog"/> from a <see cref="SelfFenceGuard"/>: <see cref="Start"/> arms the
/// watchdog and starts a timer that every timeout / 3 asks the guard and pets, starves or disarms;
/// the role methods (<see cref="Progress"/>, <see cref="LostPartition"/>, …) forward what the
/// ClusterActor observes, stamped with the injected clock. Thread-safe: the timer and the actor may
/// call it at once. <see cref="Dispose"/> stops the timer but never disarms (a dispose on a crash path
/// must leave the watchdog armed).
/// </summary>
public sealed class WatchdogKeeper : IDisposable
{
    private readonly IWatchdog watchdog;
    private readonly WatchdogSettings settings;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly long started;
    private SelfFenceGuard guard;
    private ITimer? timer;
    private bool reportedStarving;

    public WatchdogKeeper(IWatchdog watchdog, WatchdogSettings settings, TimeProvider? time = null, ILogger? logger = null)
    {
        this.watchdog = watchdog ?? throw new ArgumentNullException(nameof(watchdog));
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        this.time = time ?? TimeProvider.System;
        this.logger = logger ?? NullLogger.Instance;
        started = this.time.GetTimestamp();
        guard = SelfFenceGuard.Start(SelfFenceOptions.From(settings), TimeSpan.Zero);
    }

    /// <summary>The guard as of the last call (for status and tests).</summary>
    public SelfFenceGuard Guard
    {
        get
        {
            lock (gate)
            {
                return guard;
            }
        }
    }

    /// <summary>How often the timer asks the guard.</summary>
    public TimeSpan PetInterval => settings.Timeout / 3;

    /// <summary>Arms the watchdog (throws <see cref="WatchdogException"/> when it cannot) and starts petting.</summary>
    public void Start()
    {
        lock (gate)
        {
            if (timer is not null)
            {
                throw new InvalidOperationException("the watchdog keeper is already started");
            }

            watchdog.Arm(settings.Timeout);
            guard = guard.Progress(Now);
            timer = time.CreateTimer(static s => ((WatchdogKeeper)s!).Tick(), this, PetInterval, PetInterval);
        }
    }

    public void Progress() => Update(g => g.Progress(Now));

    public void LostPartition() => Update(g => g.LostPartition(Now));

    public void DemotionCompleted() => Update(g => g.DemotionCompleted(Now));

    public void Promoted() => Update(g => g.Promoted(Now));

    public void Stopping() => Update(g => g.Stopping(Now));

    /// <summary>Everything is released: disarms at once unless the guard is starving.</summary>
    public void Stopped()
    {
        Update(g => g.Stopped(Now));
        Tick();
    }

    /// <summary>Whether the watchdog is armed (started and not disarmed).</summary>
    public bool Armed
    {
        get
        {
            lock (gate)
            {
                return timer is not null && watchdog.Armed;
            }
        }
    }

    /// <summary>Reboot this host: never pet again (see <see cref="SelfFenceGuard.StopPetting"/>); the watchdog resets it within its timeout.</summary>
    public void StopPetting(string reason)
    {
        Update(g => g.StopPetting(reason));
        Tick();
    }

    /// <summary>One decision, carried out (the timer's callback; callable directly).</summary>
    public void Tick()
    {
        lock (gate)
        {
            if (timer is null || !watchdog.Armed)
            {
                return;
            }

            (guard, var decision) = guard.Decide(Now);
            try
            {
                switch (decision.Command)
                {
                    case WatchdogCommand.Pet:
                        watchdog.Pet();
                        break;
                    case WatchdogCommand.Disarm:
                        watchdog.Disarm();
                        timer.Dispose();
                        logger.LogInformation("Watchdog disarmed: {Reason}", decision.Reason);
                        break;
                    default:
                        if (!reportedStarving)
                        {
                            reportedStarving = true;
                            logger.LogError("Watchdog no longer petted, this host will be reset within {Timeout}: {Reason}", settings.Timeout, decision.Reason);
                        }

                        break;
                }
            }
            catch (WatchdogException e)
            {
                logger.LogError(e, "Watchdog {Command} failed: {Reason}", decision.Command, e.Message);
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            timer?.Dispose();
        }
    }

    private TimeSpan Now => time.GetElapsedTime(started);

    private void Update(Func<SelfFenceGuard, SelfFenceGuard> change)
    {
        lock (gate)
        {
            guard = change(guard);
        }
    }
}
