using Haven.Actors.Cluster;

namespace Haven.Actors.Simulation;

/// <summary>The simulated fence device: it powers the victim off at once or late, fails, lies, or, without fencing, cannot fence.</summary>
public sealed partial class ClusterSimulation
{
    /// <summary>A fence through the simulated device: at once, or late when a late-fence fault is active for the victim.</summary>
    internal Task<FenceResult> FenceAsync(SimulatedHost requester, FenceTarget target)
    {
        var victim = _hosts.FirstOrDefault(h => h.Id == target.Node);
        if (victim is not { FenceLate: { } late } || victim.FenceFails || !victim.Powered) return Task.FromResult(Fence(requester, target));
        _notes.Add($"n{requester.Id} fences n{victim.Id}: the device answers in {Ms(late)}");
        var answer = new TaskCompletionSource<FenceResult>(); // completes inline on the harness thread, in clock order
        ITimer? timer = null;
        timer = _runtime.CreateTimer(_ =>
        {
            timer?.Dispose();
            answer.TrySetResult(Fence(requester, target));
        }, null, late, Timeout.InfiniteTimeSpan);
        return answer.Task;
    }

    internal FenceResult Fence(SimulatedHost requester, FenceTarget target)
    {
        var victim = _hosts.FirstOrDefault(h => h.Id == target.Node);
        if (victim is null)
        {
            _notes.Add($"n{requester.Id} fences unknown node {target.Node}");
            return new FenceResult(false, FenceDevice, $"node {target.Node} is not configured");
        }
        if (FencingOff)
        {
            _notes.Add($"n{requester.Id} fences n{victim.Id}: impossible (no fencing)");
            return new FenceResult(false, FenceDevice, "fencing is disabled", Impossible: true);
        }
        if (victim.FenceFails)
        {
            _notes.Add($"n{requester.Id} fences n{victim.Id}: FAILS (scripted)");
            return new FenceResult(false, FenceDevice, "scripted fence failure");
        }
        if (victim.FenceLies)
        {
            _notes.Add($"n{requester.Id} fences n{victim.Id}: off, but the device reports a failure");
            if (victim.Powered) PowerOff(victim, fenced: true);
            return new FenceResult(false, FenceDevice, "the device did not confirm the power state (scripted lie)");
        }
        _notes.Add($"n{requester.Id} fences n{victim.Id}: off");
        PowerOff(victim, fenced: true);
        return new FenceResult(true, FenceDevice, "power state read back as off");
    }
}
