using Haven.Host.Cli;
using Haven.Host.Daemon;

namespace Haven.Host.Tests;

/// <summary>A daemon run in process on a test's config; stopping it is what SIGTERM does.</summary>
internal sealed class RunningDaemon : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task<int> _run = Task.FromResult(0);

    public DaemonState State { get; private set; } = null!;

    /// <summary>The daemon's run: its exit code, or the error it stopped with.</summary>
    public Task<int> Run => _run;

    public static async Task<RunningDaemon> StartAsync(string configPath, DaemonOverrides? overrides = null)
    {
        var daemon = new RunningDaemon();
        var ready = new TaskCompletionSource<DaemonState>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cli = new CliContext(new StringWriter(), new StringWriter());
        daemon._run = Task.Run(async () =>
        {
            var settings = DaemonVerb.LoadSettings(configPath, cli, transportSupplied: overrides?.Transport is not null);
            return await DaemonHost.RunAsync(settings, configPath, daemon._stop.Token, s => ready.TrySetResult(s), overrides);
        });
        var first = await Task.WhenAny(ready.Task, daemon._run).WaitAsync(TimeSpan.FromSeconds(30));
        if (first == daemon._run)
        {
            await daemon._run; // rethrows why it could not start
            throw new InvalidOperationException("the daemon stopped before it was ready");
        }
        daemon.State = await ready.Task;
        return daemon;
    }

    /// <summary>Waits (at most 30 s) until the daemon journaled an event with this manifest.</summary>
    public async Task WaitForEventAsync(string manifest)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await State.Journal.WaitForEventAsync(manifest, timeout.Token);
    }

    /// <summary>How many events with this manifest the daemon journaled so far.</summary>
    public async Task<int> CountEventsAsync(string manifest)
    {
        var count = 0;
        await foreach (var e in State.Journal.ReadAllAsync(0))
            if (e.Manifest == manifest) count++;
        return count;
    }

    /// <summary>
    /// Waits (at most 30 s) until the daemon journaled more events with this manifest than <paramref name="before"/>
    /// (from <see cref="CountEventsAsync"/>): for a manifest the journal may already hold, such as a node-up at start.
    /// </summary>
    public async Task WaitForAnotherEventAsync(string manifest, int before)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var next = State.Journal.NextWrite; // taken before reading, so no write slips between
            if (await CountEventsAsync(manifest) > before) return;
            await next.WaitAsync(timeout.Token);
        }
    }

    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted) await StopAsync();
        _stop.Dispose();
    }
}
