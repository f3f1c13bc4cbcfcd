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
    private readonly ObservableJournal _journal;
    private bool _stopped;

    private DaemonLifecycle(ActorSystem system, IActorRef actor, ObservableJournal journal)
    {
        _system = system;
        _actor = actor;
        _journal = journal;
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
            var first = await Task.WhenAny(recorded, failure.Task, state.Journal.WriteFailed).WaitAsync(ct);
            if (first == failure.Task) throw new CliException($"cannot start: {(await failure.Task).Message}");
            if (first == state.Journal.WriteFailed)
                throw new CliException($"cannot start: the journal {state.JournalHandle.Location} cannot record the start: {await state.Journal.WriteFailed}");
            await recorded;
            return new DaemonLifecycle(system, actor, state.Journal);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>
    /// Journals the stop, then stops every actor. Returns null, or why the stop could not be journaled: a journal write that
    /// fails (a full disk) ends the wait at once rather than at the timeout.
    /// </summary>
    public async Task<string?> StopAsync(string reason)
    {
        if (_stopped) return null;
        _stopped = true;
        try
        {
            var recorded = _actor.Ask<DaemonStopRecorded>(new RecordDaemonStop(reason), Timeout);
            if (await Task.WhenAny(recorded, _journal.WriteFailed) != recorded) return await _journal.WriteFailed;
            await recorded;
            return null;
        }
        catch (AskTimeoutException e)
        {
            return e.Message;
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
