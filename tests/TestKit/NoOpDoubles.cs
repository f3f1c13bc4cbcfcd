using Haven.Actors.Cluster;

namespace Haven.TestKit;

/// <summary>A fencer for tests whose hosts never fence: every request fails, saying so.</summary>
public sealed class NoFencer : IFencer
{
    public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken) =>
        Task.FromResult(new FenceResult(false, "", "no fencing in this test"));
}

/// <summary>An address manager for tests that do not look at addresses: taking and releasing do nothing.</summary>
public sealed class NoAddresses : IAddressManager
{
    public Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken) => Task.CompletedTask;
}
