using Haven.Actors;
using Haven.Actors.Hosts;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// The daemon's actor system and the actor that journals its start and stop. Start fails with a clear
/// error when the journal cannot be recovered (naming the persistence id and sequence number); the start is
/// journaled only once the daemon is up (<see cref="RecordStartAsync"/>).
/// </summary>
internal sealed class DaemonLifecycle : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ActorSystem _system;
    private readonly IActorRef _actor;
    private readonly ObservableJournal _journal;
    private readonly string _location;
    private bool _stopped;

    private DaemonLifecycle(ActorSystem system, IActorRef actor, ObservableJournal journal, string location)
    {
        _system = system;
        _actor = actor;
        _journal = journal;
        _location = location;
    }

    public ActorSystem System => _system;

    /// <summary>Starts the actor system and recovers the lifecycle stream; nothing is written (<see cref="RecordStartAsync"/> does that).</summary>
    public static async Task<DaemonLifecycle> StartAsync(DaemonState state, ILoggerFactory loggers, TimeProvider time, CancellationToken ct)
    {
        var system = ActorSystem.Create("haven", new ActorSystemSettings { TimeProvider = time, LoggerFactory = loggers });
        var services = new PersistenceServices(state.Journal, state.JournalHandle.Snapshots, new JsonEventSerializer(HavenManifests.CreateRegistry()));
        var failure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.ActorOf(Props.Create(() => new DaemonLifecycleActor(state.Node, services, e => failure.TrySetResult(e), () => recovered.TrySetResult())),
            "daemon-lifecycle");
        try
        {
            var first = await Task.WhenAny(recovered.Task, failure.Task).WaitAsync(Timeout, ct);
            if (first == failure.Task) throw new CliException($"cannot start: {(await failure.Task).Message}");
            return new DaemonLifecycle(system, actor, state.Journal, state.JournalHandle.Location);
        }
        catch (TimeoutException)
        {
            await system.Terminate();
            throw new CliException($"cannot start: the journal {state.JournalHandle.Location} was not recovered within {Timeout.TotalSeconds:0} s");
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>
    /// Journals this run's start, once the daemon is up (its control socket listens): a start that failed before is not
    /// journaled as a start. A journal that cannot write (a full disk) is an error at once, not at the timeout.
    /// </summary>
    public async Task RecordStartAsync(CancellationToken ct)
    {
        var recorded = _actor.Ask<DaemonStartRecorded>(new RecordDaemonStart(Environment.ProcessId, VersionInfo.Version), Timeout);
        if (await Task.WhenAny(recorded, _journal.WriteFailed).WaitAsync(ct) != recorded)
            throw new CliException($"cannot start: the journal {_location} cannot record the start: {await _journal.WriteFailed}");
        await recorded;
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
