using Haven.Actors.Persistence;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Hosts;

/// <summary>
/// Journals this host's daemon starts and stops (persistence id <c>daemon-NODE</c>), so the event history
/// shows every run and whether the previous one ended cleanly.
/// </summary>
public sealed class DaemonLifecycleActor : PersistentActor
{
    private readonly string _node;
    private readonly Action<Exception>? _recoveryFailed;
    private readonly Action? _recovered;
    private bool _running;
    private long _starts;

    /// <param name="recoveryFailed">told why, when the journal cannot be recovered (the actor then stops)</param>
    /// <param name="recovered">told when the journal was recovered (before any start is recorded)</param>
    public DaemonLifecycleActor(string node, PersistenceServices services, Action<Exception>? recoveryFailed = null, Action? recovered = null) : base(services)
    {
        _node = node;
        _recoveryFailed = recoveryFailed;
        _recovered = recovered;
        Recover<DaemonStarted>(Apply);
        Recover<DaemonStopped>(Apply);

        Receive<RecordDaemonStart>(cmd =>
        {
            var clean = !_running;
            if (!clean)
                Log.LogWarning("The previous run of the Haven daemon on {Node} ended without a clean shutdown", _node);
            Persist(new DaemonStarted(_node, cmd.Pid, cmd.Version, clean), e =>
            {
                Apply(e);
                Log.LogInformation("Daemon start {Start} of {Node} journaled as {PersistenceId}#{SequenceNr}", _starts, _node, PersistenceId, LastSequenceNr);
                Sender.Tell(new DaemonStartRecorded(LastSequenceNr, clean), Self);
            });
        });
        Receive<RecordDaemonStop>(cmd => Persist(new DaemonStopped(_node, cmd.Reason), e =>
        {
            Apply(e);
            Sender.Tell(new DaemonStopRecorded(LastSequenceNr), Self);
        }));
    }

    public override string PersistenceId => $"daemon-{_node}";

    protected override void OnRecoveryCompleted() => _recovered?.Invoke();

    protected override void OnRecoveryFailure(Exception cause)
    {
        _recoveryFailed?.Invoke(cause);
        base.OnRecoveryFailure(cause);
    }

    private void Apply(DaemonStarted e)
    {
        _running = true;
        _starts++;
    }

    private void Apply(DaemonStopped e) => _running = false;

    /// <summary>Registers this area's events under their stable manifests.</summary>
    public static void RegisterManifests(EventManifestRegistry registry) => registry
        .Register<DaemonStarted>("daemon.started.v1")
        .Register<DaemonStopped>("daemon.stopped.v1");
}
