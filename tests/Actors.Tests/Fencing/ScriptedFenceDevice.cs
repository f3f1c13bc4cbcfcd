using System.Collections.Concurrent;
using Haven.Actors.Fencing;

namespace Haven.Actors.Tests.Fencing;

/// <summary>A fence device whose answers the test scripts, call by call; records every call.</summary>
internal sealed class ScriptedFenceDevice(string name) : IFenceDevice
{
    private readonly ConcurrentQueue<Func<string, FenceAction, CancellationToken, Task<FenceDeviceOutcome>>> script = new();
    private readonly ConcurrentQueue<(string Host, FenceAction Action)> calls = new();
    private readonly TaskCompletionSource called = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name { get; } = name;
    public string Type => "scripted";

    /// <summary>Used once the script is exhausted.</summary>
    public Func<string, FenceAction, CancellationToken, Task<FenceDeviceOutcome>> Otherwise { get; set; } =
        (host, action, _) => Task.FromResult(FenceDeviceOutcome.Succeeded($"{host} {action} verified"));

    public IReadOnlyList<(string Host, FenceAction Action)> Calls => [.. calls];

    public Task Called => called.Task;

    public ScriptedFenceDevice Then(Func<string, FenceAction, CancellationToken, Task<FenceDeviceOutcome>> step)
    {
        script.Enqueue(step);
        return this;
    }

    public ScriptedFenceDevice ThenFail(string detail) => Then((_, _, _) => Task.FromResult(FenceDeviceOutcome.Failed(detail)));

    public ScriptedFenceDevice ThenThrow(string message) => Then((_, _, _) => throw new FenceDeviceException(Name, message));

    /// <summary>Never answers; only cancellation ends the call.</summary>
    public ScriptedFenceDevice ThenHang() => Then(async (_, _, token) =>
    {
        // never completes on its own: only the fencer's timeout (the token) ends it
        var hung = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (token.Register(() => hung.TrySetCanceled(token))) await hung.Task;
        return FenceDeviceOutcome.Succeeded("unreachable");
    });

    public static ScriptedFenceDevice AlwaysFailing(string name, string detail)
    {
        var device = new ScriptedFenceDevice(name);
        device.Otherwise = (_, _, _) => Task.FromResult(FenceDeviceOutcome.Failed(detail));
        return device;
    }

    public Task<FenceDeviceOutcome> ExecuteAsync(string host, FenceAction action, CancellationToken cancellationToken)
    {
        calls.Enqueue((host, action));
        called.TrySetResult();
        return script.TryDequeue(out var step) ? step(host, action, cancellationToken) : Otherwise(host, action, cancellationToken);
    }

    public Task<PowerState> GetPowerStateAsync(string host, CancellationToken cancellationToken) => Task.FromResult(PowerState.Unknown);
    public Task<IReadOnlyList<string>> ListHostsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);
    public Task<FenceDeviceHealth> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(new FenceDeviceHealth(true, "scripted"));
}
