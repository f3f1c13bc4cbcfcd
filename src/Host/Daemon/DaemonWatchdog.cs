using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Adapters.Fencing;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// Watchdog self-fencing for this daemon (haven.fencing.watchdog): arms the device at start, then the
/// ClusterActor drives the <see cref="WatchdogKeeper"/> through <see cref="ISelfFence"/>. Until the actor's
/// first <see cref="Alive"/> (journal recovery can take longer than the hang timeout, and nothing is held
/// before it) the daemon reports progress itself. A clean stop disarms with the magic close; a crash leaves
/// the device armed, and the watchdog resets the host.
/// </summary>
internal sealed class DaemonWatchdog : ISelfFence, IDisposable
{
    private readonly WatchdogKeeper _keeper;
    private readonly CancellationTokenSource _bridge = new();
    private int _actorAlive;

    private DaemonWatchdog(WatchdogKeeper keeper) => _keeper = keeper;

    /// <summary>Null when the watchdog is off; throws <see cref="CliException"/> when the device cannot be armed.</summary>
    public static DaemonWatchdog? Start(WatchdogSettings settings, ILoggerFactory loggers)
    {
        if (!settings.Enabled) return null;
        var logger = loggers.CreateLogger<WatchdogKeeper>();
        var keeper = new WatchdogKeeper(new LinuxWatchdog(settings.Device, loggers.CreateLogger<LinuxWatchdog>()), settings, TimeProvider.System, logger);
        try
        {
            keeper.Start();
        }
        catch (WatchdogException e)
        {
            throw new CliException($"haven.fencing.watchdog: cannot arm {settings.Device}: {e.Message}");
        }
        logger.LogInformation("Watchdog {Device} armed: timeout {Timeout}, demote-timeout {DemoteTimeout}", settings.Device, settings.Timeout, settings.DemoteTimeout);
        var watchdog = new DaemonWatchdog(keeper);
        _ = watchdog.BridgeUntilAliveAsync(keeper.PetInterval);
        return watchdog;
    }

    private async Task BridgeUntilAliveAsync(TimeSpan every)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (Volatile.Read(ref _actorAlive) == 0 && await timer.WaitForNextTickAsync(_bridge.Token)) _keeper.Progress();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Alive()
    {
        Volatile.Write(ref _actorAlive, 1);
        _keeper.Progress();
    }

    public void Demoting() => _keeper.LostPartition();

    public void Demoted() => _keeper.DemotionCompleted();

    public void Primary() => _keeper.Promoted();

    /// <summary>Whether the watchdog is armed now (a clean stop disarms it).</summary>
    public bool Armed => _keeper.Armed;

    /// <summary>Whether it has stopped petting for good (the host is about to be reset).</summary>
    public bool Starving => _keeper.Guard.Starving;

    /// <summary>This host reboots itself (reboot-lone-host): never pet again, so the watchdog resets it.</summary>
    public void StopPetting(string reason) => _keeper.StopPetting(reason);

    /// <summary>A clean shutdown: the actors have stopped; disarm (unless the guard is starving already).</summary>
    public void Stopped()
    {
        _keeper.Stopping();
        _keeper.Stopped();
    }

    public void Dispose()
    {
        _bridge.Cancel();
        _bridge.Dispose();
        _keeper.Dispose();
    }
}
