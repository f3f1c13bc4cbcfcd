using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Actors.Fencing;

/// <summary>
/// SBD's watchdog-only fencing, on the DC side: there is no power switch; fencing a host waits
/// watchdog-timeout × safety-factor (by the injected clock) and then reports success, assuming the
/// host's own watchdog has reset it — because a host that lost the partition stops petting after
/// demote-timeout (<see cref="SelfFenceGuard"/>) and a hung or dead daemon stops petting at once.
/// SAFE ONLY WHEN EVERY HOST RUNS THE WATCHDOG (<c>haven.fencing.watchdog.enabled = on</c>); every
/// detail says that the host is assumed, not seen, to be off.
/// </summary>
public sealed class WatchdogFenceDevice : IFenceDevice
{
    public const string Warning = "assumed self-fenced by its watchdog, not verified (safe only when every host runs the watchdog)";

    private readonly TimeProvider time;
    private readonly ILogger logger;

    public WatchdogFenceDevice(WatchdogFenceDeviceSettings settings, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.WatchdogTimeout <= TimeSpan.Zero || settings.SafetyFactor < 1)
        {
            throw new ArgumentException($"watchdog device {settings.Name}: the watchdog timeout must be positive and the safety factor at least 1", nameof(settings));
        }

        Name = settings.Name;
        Wait = settings.Wait;
        this.time = time ?? TimeProvider.System;
        this.logger = logger ?? NullLogger.Instance;
    }

    public string Name { get; }

    public string Type => "watchdog";

    /// <summary>How long fencing a host waits before it counts the host as reset.</summary>
    public TimeSpan Wait { get; }

    public async Task<FenceDeviceOutcome> ExecuteAsync(string host, FenceAction action, CancellationToken cancellationToken)
    {
        if (action == FenceAction.On)
        {
            return FenceDeviceOutcome.Failed($"watchdog device {Name} cannot power {host} on");
        }

        logger.LogInformation("Fencing {Node} via {Device}: waiting {Wait} for its watchdog to reset it", host, Name, Wait);
        var elapsed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (time.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), elapsed, Wait, Timeout.InfiniteTimeSpan))
        {
            await elapsed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return FenceDeviceOutcome.Succeeded($"{host} waited out for {Wait.TotalSeconds:0.###} s: {Warning}");
    }

    public Task<PowerState> GetPowerStateAsync(string host, CancellationToken cancellationToken) => Task.FromResult(PowerState.Unknown);

    public Task<IReadOnlyList<string>> ListHostsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

    public Task<FenceDeviceHealth> CheckAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new FenceDeviceHealth(true, $"watchdog self-fencing: a lost host is {Warning} after {Wait.TotalSeconds:0.###} s"));
}
