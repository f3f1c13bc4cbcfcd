using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Runtime;
using Haven.Host.Control;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// Runs one host: journal, actors and the control API on the generic host, until SIGTERM/SIGINT or
/// the token, or until another daemon of the same name took the PostgreSQL journal's lock, or until a journal write
/// failed (a full disk: then it stops with that error, exit 1, and systemd starts it again). Stopping records the
/// shutdown (without waiting on a journal that cannot write), stops the actors, flushes the journal and removes the socket.
/// </summary>
internal static class DaemonHost
{
    public static async Task<int> RunAsync(HavenSettings settings, string configPath, CancellationToken ct, Action<DaemonState>? started = null,
        DaemonOverrides? overrides = null)
    {
        var node = settings.Cluster.EffectiveNodeName(Environment.MachineName);
        var file = settings; // its haven.cluster.nodes, which a reloaded nodelist must match as a start's must
        using var serilog = LoggingSetup.Create(settings.Logging, node);
        using var loggerFactory = new SerilogLoggerFactory(serilog);
        var log = loggerFactory.CreateLogger("Haven.Daemon");
        // Before anything is opened: a node list that contradicts corosync's refuses the start.
        var (withNodes, nodesChecked) = await CorosyncNodesAtStart.ResolveAsync(settings, Haven.Adapters.Corosync.CorosyncNodeList.Read, Environment.MachineName,
            TimeProvider.System, log, ct);
        var nodes = withNodes.Cluster.Nodes;

        var socketPath = Path.GetFullPath(settings.Control.Socket);
        using var socketLock = PrepareSocket(socketPath);
        await using var journal = await JournalFactory.OpenAsync(settings.Journal, node, log, ct);
        var time = TimeProvider.System;
        var state = new DaemonState(settings.Cluster.Name, node, journal, time);
        await using var fenceHistory = await DurableFenceHistory.OpenAsync(journal.Journal, time, loggerFactory.CreateLogger<DurableFenceHistory>(), ct);
        await using var lifecycle = await DaemonLifecycle.StartAsync(state, loggerFactory, time, ct);
        (settings, state.StartedWith, state.SkippedSettings) = await ClusterSettingsAtStart.ApplyAsync(settings, journal.Journal, Environment.MachineName, log, ct);
        settings = settings with { Cluster = settings.Cluster with { Nodes = nodes } };
        var (vms, hypervisors) = VmWiring.Create(settings, configPath, loggerFactory, state.StartConfig(settings, configPath));
        using var hypervisorsOwner = hypervisors;
        if (overrides?.Vms is { } replaceVms) vms = replaceVms(vms);
        await EventsWiring.PrepareAsync(state, loggerFactory, ct); // before the ClusterActor can journal anything of this run
        state.ClusterActor = ClusterWiring.Start(lifecycle.System, settings, state, loggerFactory, fenceHistory, vms, checkNodeList: !nodesChecked, overrides: overrides);
        await using var nodeList = NodeListWiring.Start(state, file, nodes, loggerFactory, time);
        state.Events = EventsWiring.Start(lifecycle.System, settings, configPath, state, state.ClusterActor, loggerFactory);
        using var reactions = ReactionsWiring.Start(lifecycle.System, settings, configPath, state, state.ClusterActor, loggerFactory);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new SerilogLoggerProvider(serilog));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // ControlApi answers {"error": …}
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath));
        var app = builder.Build();
        ControlApi.Map(app, state);
        await using var metrics = await Haven.Host.Metrics.OpsSurface.StartAsync(app, settings, configPath, state, loggerFactory, ct);
        await using var web = await Haven.Host.Web.WebListener.StartAsync(configPath, state, loggerFactory, ct);

        var oldMask = FileGuards.SetUmask(0x3F); // umask 077: the socket file is born owner-only
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            throw new CliException($"cannot listen on control socket {socketPath}: {e.Message}");
        }
        finally
        {
            FileGuards.SetUmask(oldMask);
        }
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await lifecycle.RecordStartAsync(ct); // only now: a start that failed above is not journaled as a start
        }
        catch
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            TryDelete(socketPath);
            throw;
        }
        log.LogInformation("Haven daemon {Node} of cluster {Cluster} started; journal {Provider} {Location}; control socket {Socket}; config {Config}",
            node, state.Cluster, journal.Provider, journal.Location, socketPath, configPath);
        started?.Invoke(state);

        string? lockLost = null;
        string? journalBroken = null;
        try
        {
            var shutdown = app.WaitForShutdownAsync(ct);
            var first = await Task.WhenAny(shutdown, journal.LockLost, state.Journal.WriteFailed);
            if (first == journal.LockLost)
            {
                // Another daemon of this name writes the same persistence ids now: stop as SIGTERM would.
                lockLost = await journal.LockLost;
                log.LogCritical("Haven daemon {Node} stopping: {Reason}", node, lockLost);
                app.Lifetime.StopApplication();
            }
            else if (first == state.Journal.WriteFailed)
            {
                // The actor that wrote has stopped and every later change would be lost: stop (systemd starts it again).
                journalBroken = $"the journal {journal.Location} could not be written ({await state.Journal.WriteFailed}); stopping so that no change is acknowledged and lost";
                log.LogCritical("Haven daemon {Node} stopping: {Reason}", node, journalBroken);
                app.Lifetime.StopApplication();
            }
            await shutdown;
        }
        finally
        {
            log.LogInformation("Haven daemon {Node} stopping", node);
            try
            {
                if (lockLost is null && journalBroken is null) await ShutDownCleanlyAsync(state, log, node);
                if (state.Events is { } events) await events.ShutdownAsync();
                // With the lock lost the stop is not journaled: the records are the other daemon's now.
                if (lockLost is not null || journalBroken is not null) await lifecycle.DisposeAsync();
                else if (await lifecycle.StopAsync("shutdown") is { } notRecorded)
                {
                    journalBroken = $"the journal {journal.Location} could not record the stop ({notRecorded})";
                    log.LogError("Haven daemon {Node}: {Reason}", node, journalBroken);
                }
                state.Watchdog?.Stopped();
                state.Watchdog?.Dispose();
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }
            finally
            {
                TryDelete(socketPath); // also when a step above failed: no socket is left behind
            }
            log.LogInformation("Haven daemon {Node} stopped; journal flushed", node);
        }
        if (lockLost is not null) throw new CliException(lockLost);
        if (journalBroken is not null) throw new CliException(journalBroken);
        return ExitCodes.Success;
    }

    /// <summary>How long a clean stop under shutdown-lock waits for this host's VMs to stop and its leave (within DaemonVerb.StopGrace).</summary>
    private static readonly TimeSpan CleanShutdownBound = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Under shutdown-lock the host stops its VMs (locked to it) and leaves the cluster before its actors stop; without it
    /// (or when that does not finish within <see cref="CleanShutdownBound"/>) the others see it lost as before.
    /// </summary>
    private static async Task ShutDownCleanlyAsync(DaemonState state, ILogger log, string node)
    {
        if (state.ClusterActor is not { } cluster) return;
        try
        {
            var reply = cluster.Ask<CleanShutdownResult>(ShutDownCleanly.Instance, CleanShutdownBound);
            // A journal write that fails meanwhile stops the actor that wrote: the reply would never come, so do not wait for it.
            if (await Task.WhenAny(reply, state.Journal.WriteFailed) != reply)
            {
                log.LogWarning("Haven daemon {Node}: the journal failed during the clean stop ({Reason}); stopping without it",
                    node, await state.Journal.WriteFailed);
                return;
            }
            var result = await reply;
            if (result.Locked) log.LogInformation("Haven daemon {Node}: {Outcome}", node, result.Message);
            else log.LogDebug("Haven daemon {Node}: no shutdown-lock: {Outcome}", node, result.Message);
        }
        catch (AskTimeoutException)
        {
            log.LogWarning("Haven daemon {Node}: its VMs did not stop and it did not leave within {Bound}; stopping anyway (the others fence it)",
                node, CleanShutdownBound);
        }
    }

    /// <summary>Creates the socket's directory owner-only, takes the socket lock, and removes a stale socket file.</summary>
    private static FileStream PrepareSocket(string socketPath)
    {
        var dir = Path.GetDirectoryName(socketPath)!;
        FileGuards.EnsureDirectory(dir, "control socket");
        var lockFile = FileGuards.AcquireLock(socketPath + ".lock", $"control socket {socketPath}");
        TryDelete(socketPath); // we hold the lock, so whatever is there is stale
        return lockFile;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
