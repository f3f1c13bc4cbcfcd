namespace Haven.Actors.Fencing;

/// <summary>
/// HA-Lizard's POOL method: "fencing" by removing the host from membership only, with no power action.
/// UNSAFE with shared storage: the lost host may still be running and writing. It reports success for
/// off and reboot so that recovery can proceed, and says so in every detail.
/// </summary>
public sealed class PoolFenceDevice(string name) : IFenceDevice
{
    public const string Warning = "membership removal only, no power action (unsafe with shared storage)";

    public string Name { get; } = name;

    public string Type => "pool";

    public Task<FenceDeviceOutcome> ExecuteAsync(string host, FenceAction action, CancellationToken cancellationToken) =>
        Task.FromResult(action == FenceAction.On
            ? FenceDeviceOutcome.Failed($"pool device {Name} cannot power {host} on: {Warning}")
            : FenceDeviceOutcome.Succeeded($"{host} removed from membership: {Warning}"));

    public Task<PowerState> GetPowerStateAsync(string host, CancellationToken cancellationToken) => Task.FromResult(PowerState.Unknown);

    public Task<IReadOnlyList<string>> ListHostsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

    public Task<FenceDeviceHealth> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(new FenceDeviceHealth(true, Warning));
}
