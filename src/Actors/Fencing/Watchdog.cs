namespace Haven.Actors.Fencing;

/// <summary>
/// A hardware or kernel watchdog (Linux <c>/dev/watchdog</c>): once armed, the machine is reset
/// unless <see cref="Pet"/> is called within the timeout. Closing it any other way than
/// <see cref="Disarm"/> — a crash, a kill — leaves it armed, so a dead daemon reboots its host.
/// </summary>
public interface IWatchdog : IDisposable
{
    /// <summary>True between <see cref="Arm"/> and <see cref="Disarm"/>.</summary>
    bool Armed { get; }

    /// <summary>The timeout the device accepted (it may round the requested one); null when not armed.</summary>
    TimeSpan? EffectiveTimeout { get; }

    /// <summary>Opens the device and sets its timeout; the countdown starts now. Throws <see cref="WatchdogException"/> naming the device when it cannot.</summary>
    void Arm(TimeSpan timeout);

    /// <summary>Restarts the countdown (a keepalive). Throws when not armed.</summary>
    void Pet();

    /// <summary>The magic close: tells the device to stop counting, then closes it (a clean shutdown only).</summary>
    void Disarm();
}

/// <summary>The watchdog device could not be opened, configured or written; the message names the device.</summary>
public sealed class WatchdogException : Exception
{
    public WatchdogException(string device, string message)
        : base($"watchdog {device}: {message}") => Device = device;

    public WatchdogException(string device, string message, Exception inner)
        : base($"watchdog {device}: {message}", inner) => Device = device;

    public string Device { get; }
}
