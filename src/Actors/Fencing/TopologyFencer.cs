using System.Collections.Concurrent;
using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Actors.Fencing;

/// <summary>How a <see cref="TopologyFencer"/> drives its devices.</summary>
public sealed record FencerOptions
{
    /// <summary>What fencing does to a lost host: off (default) or reboot.</summary>
    public FenceAction Action { get; init; } = FenceAction.Off;

    /// <summary>Each device call is abandoned (and counts as failed) after this long.</summary>
    public TimeSpan DeviceTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Attempts of a device after its first failure, before the level counts as failed.</summary>
    public int DeviceRetries { get; init; } = 1;

    public FencingPolicy Policy { get; init; } = new();
}

/// <summary>
/// Fences hosts through a fencing topology: the levels of the target host are tried in order, every
/// device of a level must succeed (in order; with reboot, all off first, then all on), and a level that
/// fails hands over to the next. Each device call has a timeout and retries; an exception, a timeout
/// or a failed outcome is a failure, and only a device's verified outcome is a success. Several targets
/// are fenced in parallel; a second request for a host already being fenced joins the first.
/// </summary>
public sealed class TopologyFencer : IFencer
{
    private readonly FencingTopology topology;
    private readonly IReadOnlyDictionary<string, IFenceDevice> devices;
    private readonly FencerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Action<FenceHistoryRecord> history;
    private readonly Func<FencingContext>? context;
    private readonly Func<FenceTarget, TimeSpan>? priorityDelay;
    private readonly ConcurrentDictionary<string, Lazy<Task<FenceResult>>> inFlight = new(StringComparer.Ordinal);

    public TopologyFencer(
        FencingTopology topology,
        IReadOnlyDictionary<string, IFenceDevice> devices,
        FencerOptions? options = null,
        TimeProvider? time = null,
        ILogger? logger = null,
        Action<FenceHistoryRecord>? history = null,
        Func<FencingContext>? context = null,
        Func<FenceTarget, TimeSpan>? priorityDelay = null)
    {
        this.topology = topology ?? throw new ArgumentNullException(nameof(topology));
        this.devices = devices ?? throw new ArgumentNullException(nameof(devices));
        this.options = options ?? new FencerOptions();
        if (this.options.DeviceTimeout <= TimeSpan.Zero || this.options.DeviceRetries < 0)
        {
            throw new ArgumentException("device timeout must be positive and retries not negative", nameof(options));
        }

        var missing = topology.Devices.Where(d => !devices.ContainsKey(d)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"the fencing topology names device(s) that do not exist: {string.Join(", ", missing)}", nameof(devices));
        }

        this.time = time ?? TimeProvider.System;
        this.logger = logger ?? NullLogger.Instance;
        this.history = history ?? (_ => { });
        this.context = context;
        this.priorityDelay = priorityDelay;
    }

    /// <summary>What the cluster should do with a host's resources when fencing it failed.</summary>
    public FailedFenceRecovery OnFailure => FencingRules.AfterFailure(options.Policy);

    public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var lazy = inFlight.GetOrAdd(target.Name, _ => new Lazy<Task<FenceResult>>(() => RunAsync(target, cancellationToken)));
        return lazy.Value;
    }

    /// <summary>Fences every target at the same time; one result per target, in order.</summary>
    public async Task<ImmutableArray<FenceResult>> FenceAllAsync(IReadOnlyList<FenceTarget> targets, CancellationToken cancellationToken) =>
        [.. await Task.WhenAll(targets.Select(t => FenceAsync(t, cancellationToken))).ConfigureAwait(false)];

    private async Task<FenceResult> RunAsync(FenceTarget target, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            return await FenceOnceAsync(target, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            inFlight.TryRemove(target.Name, out _);
        }
    }

    private async Task<FenceResult> FenceOnceAsync(FenceTarget target, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var host = target.Name;
        history(new FenceHistoryRequested(host, options.Action, target.Reason, time.GetUtcNow()));
        logger.LogInformation("Fencing {Node} ({Action}): {Reason}", host, options.Action, target.Reason);

        var decision = context is null
            ? (options.Policy.Enabled ? FenceDecision.Proceed : FencingRules.Decide(options.Policy, new FencingContext(1, 1, true)))
            : FencingRules.Decide(options.Policy, context());
        if (decision.Verdict != FenceVerdict.Proceed)
        {
            return Fail(host, "", $"not fenced: {decision.Reason}", started) with { Impossible = !options.Policy.Enabled };
        }

        if (priorityDelay?.Invoke(target) is { } delay && delay > TimeSpan.Zero)
        {
            // Two-host race (FencingRules.PriorityDelay): the side holding less lets the other go first.
            logger.LogInformation("Fencing {Node} waits the priority delay {Delay}", host, delay);
            await WaitAsync(delay, cancellationToken).ConfigureAwait(false);
        }

        var levels = topology.LevelsFor(host);
        if (levels.IsEmpty)
        {
            return Fail(host, "", $"no fencing topology for {host} (haven.fencing.topology has neither {host} nor \"*\")", started) with { Impossible = true };
        }

        var failures = new List<string>();
        for (var level = 0; level < levels.Length; level++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (ok, detail) = await RunLevelAsync(host, levels[level], cancellationToken).ConfigureAwait(false);
            var names = string.Join("+", levels[level]);
            if (ok)
            {
                var duration = time.GetElapsedTime(started);
                history(new FenceHistorySucceeded(host, names, level + 1, duration, detail, time.GetUtcNow()));
                logger.LogInformation("Fenced {Node} via {Device} (level {Level}) in {Duration}", host, names, level + 1, duration);
                return new FenceResult(true, names, detail);
            }

            failures.Add($"level {level + 1} ({names}): {detail}");
            logger.LogWarning("Fencing {Node} via {Device} (level {Level}) failed: {Reason}", host, names, level + 1, detail);
        }

        return Fail(host, string.Join("+", levels[^1]), $"every fencing level failed: {string.Join(" | ", failures)}", started);
    }

    private FenceResult Fail(string host, string device, string reason, long started)
    {
        var duration = time.GetElapsedTime(started);
        history(new FenceHistoryFailed(host, reason, duration, time.GetUtcNow()));
        logger.LogError("Fencing {Node} failed after {Duration}: {Reason}", host, duration, reason);
        return new FenceResult(false, device, reason);
    }

    private async Task<(bool Ok, string Detail)> RunLevelAsync(string host, ImmutableArray<string> level, CancellationToken cancellationToken)
    {
        var details = new List<string>();
        var first = options.Action == FenceAction.Reboot && level.Length > 1 ? FenceAction.Off : options.Action;
        foreach (var name in level)
        {
            var (ok, detail) = await RunDeviceAsync(devices[name], host, first, cancellationToken).ConfigureAwait(false);
            details.Add($"{name}: {detail}");
            if (!ok)
            {
                return (false, string.Join("; ", details));
            }
        }

        if (first != options.Action)
        {
            // Reboot over several devices (e.g. two power supplies): everything off first, then on.
            foreach (var name in level)
            {
                var (_, detail) = await RunDeviceAsync(devices[name], host, FenceAction.On, cancellationToken).ConfigureAwait(false);
                details.Add($"{name}: {detail}");
            }
        }

        return (true, string.Join("; ", details));
    }

    private async Task<(bool Ok, string Detail)> RunDeviceAsync(IFenceDevice device, string host, FenceAction action, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        for (var attempt = 1; attempt <= options.DeviceRetries + 1; attempt++)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var timer = time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), limit, options.DeviceTimeout, Timeout.InfiniteTimeSpan);
            var call = Call(device, host, action, limit.Token);
            try
            {
                var outcome = await call.WaitAsync(limit.Token).ConfigureAwait(false);
                if (outcome.Success)
                {
                    return (true, outcome.Detail);
                }

                problems.Add(outcome.Detail);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                problems.Add($"timed out after {options.DeviceTimeout.TotalSeconds:0.###} s");
                Observe(call);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                problems.Add(e.Message);
            }

            logger.LogWarning("Fence device {Device} attempt {Attempt} for {Node} failed: {Reason}", device.Name, attempt, host, problems[^1]);
        }

        return (false, string.Join(", then ", problems.Distinct(StringComparer.Ordinal)));
    }

    private static async Task<FenceDeviceOutcome> Call(IFenceDevice device, string host, FenceAction action, CancellationToken token)
    {
        await Task.Yield();
        return await device.ExecuteAsync(host, action, token).ConfigureAwait(false);
    }

    /// <summary>Waits on the injected clock.</summary>
    private async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var elapsed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = time.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), elapsed, delay, Timeout.InfiniteTimeSpan);
        await elapsed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A device that ignored cancellation may still fail later; its exception must not go unobserved.</summary>
    private static void Observe(Task task) => task.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
}
