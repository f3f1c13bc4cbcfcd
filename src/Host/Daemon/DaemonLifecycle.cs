using Haven.Actors;
using Haven.Actors.Hosts;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// The daemon's actor system and the actor that journals its start and stop. Start fails with a clear
/// error when the journal cannot be recovered (naming the persistence id and sequence number).
/// </summary>
internal sealed class DaemonLifecycle : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ActorSystem _system;
    private readonly IActorRef _actor;
    private bool _stopped;

    private DaemonLifecycle(ActorSystem system, IActorRef actor)
    {
        _system = system;
        _actor = actor;
    }

    public ActorSystem System => _system;

    public static async Task<DaemonLifecycle> StartAsync(DaemonState state, ILoggerFactory loggers, TimeProvider time, CancellationToken ct)
    {
        var system = ActorSystem.Create("haven", new ActorSystemSettings { TimeProvider = time, LoggerFactory = loggers });
        var services = new PersistenceServices(state.Journal, state.JournalHandle.Snapshots, new JsonEventSerializer(HavenManifests.CreateRegistry()));
        var failure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.ActorOf(Props.Create(() => new DaemonLifecycleActor(state.Node, services, e => failure.TrySetResult(e))), "daemon-lifecycle");
        try
        {
            var recorded = actor.Ask<DaemonStartRecorded>(new RecordDaemonStart(Environment.ProcessId, VersionInfo.Version), Timeout);
            var first = await Task.WhenAny(recorded, failure.Task).WaitAsync(ct);
            if (first == failure.Task) throw new CliException($"cannot start: {(await failure.Task).Message}");
            await recorded;
            return new DaemonLifecycle(system, actor);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>Journals the stop, then stops every actor.</summary>
    public async Task StopAsync(string reason)
    {
        if (_stopped) return;
        _stopped = true;
        try
        {
            await _actor.Ask<DaemonStopRecorded>(new RecordDaemonStop(reason), Timeout);
        }
        finally
        {
            await _system.Terminate();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _system.Terminate();
        }
    }
}
