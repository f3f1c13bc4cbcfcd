using System.Globalization;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Vms;

/// <summary>
/// One managed VM on this host: a child of the host's HostActor, which hands it every change of the
/// VM's replicated state as a <see cref="VmAssignment"/>. It carries out this host's <see cref="VmLocalRole"/>
/// through <see cref="IHypervisor"/> and reports outcomes as <see cref="VmReport"/>s, which the ClusterActor
/// multicasts (re-sent every poll until the state changes; duplicates are rejected by the state).
/// <list type="bullet">
/// <item>Run: start (unless already running), poll until Running within start-timeout, report VmRunning, then
/// monitor every monitor-interval. A VM that stopped or crashed is restarted (kill, start); more than
/// max-restarts within restart-window and the host gives up: forced off, then VmFailed (the DC moves it).
/// A VM paused on I/O errors is degraded, not failed, for io-pause-grace. A failed start or monitor follows the VM's
/// on-fail (<see cref="VmOnFailPolicy"/>): restart (the default, as above), ignore (nothing is done), block (left as it
/// is, reported: VmOperationFailed makes it unmanaged), stop or standby (forced off, then reported), fence (reported:
/// the host asks to be fenced). An unmanaged VM (or any VM on a host in maintenance) is only monitored: never started,
/// restarted or stopped; an unmanaged one found off is reported VmFailed without being touched.</item>
/// <item>Stop: graceful shutdown, poll until Stopped within stop-timeout, else forced off; then VmStopped. A forced stop
/// that fails is the stop's failure: reported VmOperationFailed (on-fail of stop: fence, or block).</item>
/// <item>MigrateOut: live-migrate within migrate-timeout; VmMigrated, or VmMigrationFailed (it keeps running here).</item>
/// <item>Absent: make sure it is off here (an orphan, or what is left after a move), then <see cref="VmActorIdle"/>.</item>
/// </list>
/// Every hypervisor call has a timeout; a hung call is a failure, never a success. One call at a time.
/// </summary>
public sealed partial class VmActor : Actor
{
    private enum Phase { Idle, Starting, Up, GivingUp, Stopping, Killing, Done }

    private readonly NodeId _me;
    private readonly IHypervisor? _hypervisor;
    private readonly VmPolicy _policy;
    private readonly Queue<DateTimeOffset> _restarts = new();
    private VmAssignment? _assignment;
    private VmSpec? _spec;
    private Phase _phase;
    private bool _busy;
    private long _call;
    private long _epoch; // incremented on every role change: a call's continuation from an earlier role is dropped
    private long _callEpoch;
    private Action<VmStatus?, string?>? _then;
    private DateTimeOffset _deadline;
    private DateTimeOffset? _pausedSince;
    private IClusterEvent? _pending;
    private IClusterEvent? _migrationOutcome; // the one outcome this host gave for a migration attempt (VmMigrated or VmMigrationFailed)
    private string _giveUpReason = "";
    private VmOnFail _giveUpThen = VmOnFail.Restart;
    private bool _seenRunning; // a VM this actor never saw running that is found off was not failed by a monitor here: a probe, restarted
    private bool _stoppedHere; // this actor's own stop left the VM off (and it has not run since): found off, it is stopped, not failed
    private string _giveUpOperation = "monitor";

    public static Props Props(NodeId me, IHypervisor? hypervisor, VmPolicy policy) =>
        Runtime.Props.Create(() => new VmActor(me, hypervisor, policy));

    public VmActor(NodeId me, IHypervisor? hypervisor, VmPolicy policy)
    {
        _me = me;
        _hypervisor = hypervisor;
        _policy = policy;
        Receive<VmAssignment>(OnAssignment);
        Receive<Tick>(_ => OnTick());
        Receive<CallDone>(OnCallDone);
    }

    private string Name => _spec?.Name ?? "?";
    private VmLocalRole Role => _assignment?.Role ?? VmLocalRole.Absent;

    /// <summary>The VM is unmanaged (Pacemaker's is-managed=false, or blocked by on-fail) or this host is in maintenance: monitor only.</summary>
    private bool LeftAlone => _assignment is { } a && (a.HostMaintenance || a.Vm?.Unmanaged == true);
    private DateTimeOffset Now => Context.System.TimeProvider.GetUtcNow();

    private void OnAssignment(VmAssignment a)
    {
        var previous = _assignment;
        _assignment = a;
        _absentStatusFailures = 0; // a new assignment (the VM removed, placed elsewhere) gets its own attempts
        // This host's stop is recorded (the VM is placed elsewhere or nowhere): a later placement here is a new one, to start.
        // A new attempt (the DC placed it anew, having seen the stop) is to be started too, even if this host never saw the
        // stop recorded (both arrived together).
        if (a.Role == VmLocalRole.Absent || a.Vm?.State is VmRunState.Stopped or VmRunState.Failed
            || (previous?.Vm is { } was && a.Vm is { } now && was.Attempt != now.Attempt && now.State == VmRunState.Starting)) _stoppedHere = false;
        if (a.Vm is not null) _spec = a.Vm.Spec;
        // Where the VM is changed: what was reported arrived (or is moot). Other changes (desired, HA) do not answer it.
        if (previous?.Vm?.State != a.Vm?.State || previous?.Vm?.Node != a.Vm?.Node || previous?.Vm?.Target != a.Vm?.Target
            || previous?.Vm?.Attempt != a.Vm?.Attempt || previous?.Vm?.Unmanaged != a.Vm?.Unmanaged || previous?.Role != a.Role)
        {
            _pending = null;
            // A report the change did not answer (a stop done before the state asked for it, a demotion's; a failure reported
            // while an earlier report was still on its way) is made again: the step starts over from the hypervisor's status.
            if (previous?.Role == a.Role && a.Role is VmLocalRole.Stop or VmLocalRole.Run && _phase == Phase.Done) _phase = Phase.Idle;
        }
        if (previous is null || previous.Role != a.Role || previous.TargetName != a.TargetName
            || (previous.HostMaintenance || previous.Vm?.Unmanaged == true) != LeftAlone)
        {
            _phase = Phase.Idle;
            _epoch++;
            Timers.Cancel("step");
            Step();
        }
        else if (_phase is Phase.Idle or Phase.Done) Step();
    }

    private void OnTick()
    {
        if (_pending is { } report) Context.Parent.Tell(new VmReport(report), Self);
        Step();
    }

    private void Step()
    {
        if (_busy || _spec is null) return;
        switch (Role)
        {
            case VmLocalRole.Run: RunStep(); break;
            case VmLocalRole.Stop: StopStep(); break;
            case VmLocalRole.MigrateOut: MigrateStep(); break;
            case VmLocalRole.MigrateIn: break; // the source reports; nothing to do here until then
            default: AbsentStep(); break;
        }
    }

    // ---- run: start, wait, monitor, restart -------------------------------------------------------

    private void RunStep()
    {
        switch (_phase)
        {
            case Phase.Idle:
                Status((s, error) =>
                {
                    if (error is not null) Fail($"status failed: {error}", start: false);
                    else if (s!.State is VmPowerState.Running or VmPowerState.Paused) Monitor(s, announce: true);
                    else if (_assignment?.Vm?.State is VmRunState.Running or VmRunState.Starting && _stoppedHere) StoppedBeforeRecorded(s);
                    else if (_migrationOutcome is VmMigrated moved && moved.Attempt == _assignment?.Vm?.Attempt && _assignment.Vm.State == VmRunState.Running)
                        MigratedAway(moved);
                    else if (_assignment?.Vm?.State == VmRunState.Running) Fail($"it is {Describe(s)} though the cluster has it running here", start: false, off: true);
                    else if (LeftAlone)
                    {
                        Log.LogInformation("VM {Vm} is not started on {Node}: it is unmanaged or the host is in maintenance", Name, _me);
                        Schedule(_policy.MonitorInterval);
                    }
                    else StartVm();
                });
                break;
            case Phase.Starting:
                Status((s, error) =>
                {
                    if (s?.State == VmPowerState.Running) Monitor(s, announce: true);
                    else if (Now >= _deadline)
                        Fail($"not running {Seconds(_policy.StartTimeout)} after its start ({(error ?? Describe(s!))})", start: true,
                            off: s?.State is VmPowerState.Stopped or VmPowerState.Crashed);
                    else Schedule(_policy.PollInterval);
                });
                break;
            case Phase.Up:
                Status((s, error) =>
                {
                    if (error is not null) Fail($"monitor failed: {error}", start: false);
                    else Monitor(s!, announce: false);
                });
                break;
            case Phase.GivingUp:
                GiveUp(_giveUpReason, _giveUpThen, _giveUpOperation);
                break;
            case Phase.Done:
                Schedule(_policy.PollInterval);
                break;
        }
    }

    private void StartVm()
    {
        if (_hypervisor is null)
        {
            Report(new VmFailed(Name, _me, $"this host has no {_spec!.Hypervisor} hypervisor", Now));
            _phase = Phase.Done;
            Schedule(_policy.PollInterval);
            return;
        }
        _phase = Phase.Starting;
        _stoppedHere = false;
        _deadline = Now + _policy.StartTimeout;
        Log.LogInformation("Starting VM {Vm} on {Node} via {Hypervisor}", Name, _me, _hypervisor.Kind);
        var definition = _spec!.Definition;
        Call(_policy.StartTimeout, async ct => { await _hypervisor.StartAsync(definition, ct).ConfigureAwait(false); return null; },
            (_, error) =>
            {
                if (error is not null) Fail($"start failed: {error}", start: true);
                else RunStep();
            });
    }

    private void Monitor(VmStatus status, bool announce)
    {
        _phase = Phase.Up;
        if (status.State == VmPowerState.Running)
        {
            _seenRunning = true;
            _stoppedHere = false;
            if (_pausedSince is not null) Log.LogInformation("VM {Vm} resumed on {Node}", Name, _me);
            _pausedSince = null;
        }
        else if (status.State == VmPowerState.Paused)
        {
            _pausedSince ??= Now;
            var paused = Now - _pausedSince.Value;
            if (paused >= _policy.IoPauseGrace)
            {
                Fail($"paused for {Seconds(paused)} ({status.Detail}), longer than the {Seconds(_policy.IoPauseGrace)} grace", start: false);
                return;
            }
            Log.LogWarning("VM {Vm} on {Node} is paused ({Detail}): degraded, not failed, for up to {Grace}", Name, _me, status.Detail, _policy.IoPauseGrace);
        }
        else
        {
            Fail($"it is {Describe(status)}", start: false, off: true);
            return;
        }
        // Also when already up: a stream reset (this host's history diverged) can bring "Starting" back for a VM
        // it reported running long ago; the report is made again until the state says Running.
        if (_assignment?.Vm?.State == VmRunState.Starting && (announce || _pending is null))
        {
            Log.LogInformation("VM {Vm} is running on {Node}", Name, _me);
            Report(new VmRunning(Name, _me));
        }
        Schedule(_pausedSince is null ? _policy.MonitorInterval : Min(_policy.PollInterval, _policy.MonitorInterval));
    }

    /// <summary>
    /// This host migrated the VM away under the attempt the state still has it running here for (the attempt was
    /// recorded failed first): it runs on the target, so it is not restarted here. The migration is reported again
    /// until the state moves the VM to the target.
    /// </summary>
    private void MigratedAway(VmMigrated moved)
    {
        Log.LogWarning("VM {Vm} is not running on {Node}: this host migrated it to node {Target} under attempt {Attempt}, which the cluster recorded failed; not restarted here",
            Name, _me, moved.To, moved.Attempt);
        ResendMigration(moved);
    }

    /// <summary>
    /// The state has the VM running or starting here, but this actor stopped it itself (a demotion under a stopping
    /// no-quorum-policy, or a stop of a history this host no longer shares) and this host's copy of the state has not recorded
    /// the stop yet (it may be behind: a daemon that hung after reporting the stop). That is a stop, not a failed monitor —
    /// no fail count, no on-fail — and never a start: the cluster may already run the VM elsewhere on the strength of the
    /// report. It is reported stopped again, and the DC places it anew (seed 1036239036).
    /// </summary>
    private void StoppedBeforeRecorded(VmStatus status)
    {
        Log.LogInformation("VM {Vm} is {State} on {Node}: this host stopped it before the cluster recorded the stop; reported stopped, not failed",
            Name, Describe(status), _me);
        Report(new VmStopped(Name, _me, "stopped by this host before the cluster recorded it"));
        _phase = Phase.Done;
        Schedule(_policy.PollInterval);
    }

    /// <summary>
    /// A failed start or monitor (<paramref name="off"/>: the VM is known not to run): left alone when unmanaged, else as
    /// its on-fail says; restart (the default) restarts unless the restart limit is reached within the window.
    /// </summary>
    private void Fail(string reason, bool start, bool off = false)
    {
        if (LeftAlone)
        {
            Unattended(reason, off);
            return;
        }
        var operation = start ? "start" : "monitor";
        // Found off at this actor's first look (the host restarted, or was fenced and rejoined): Pacemaker's probe, not a
        // monitor failure; it is started again rather than escalated.
        var onFail = start || _seenRunning ? _spec!.OnFail.ForStartOrMonitor(start) : VmOnFail.Restart;
        switch (onFail)
        {
            case VmOnFail.Ignore:
                Log.LogWarning("VM {Vm} failed on {Node}: {Reason}; ignored (on-fail ignore for {Operation})", Name, _me, reason, operation);
                _phase = Phase.Up;
                Schedule(_policy.MonitorInterval);
                return;
            case VmOnFail.Block or VmOnFail.Fence:
                Log.LogError("VM {Vm} failed on {Node}: {Reason}; on-fail {OnFail} for {Operation}: it is left as it is", Name, _me, reason,
                    VmOnFailPolicy.Name(onFail), operation);
                Report(new VmOperationFailed(Name, _me, operation, onFail, reason, Now));
                _phase = Phase.Done;
                Schedule(_policy.PollInterval);
                return;
            case VmOnFail.Stop or VmOnFail.Standby:
                GiveUp(reason, onFail, operation);
                return;
        }
        var now = Now;
        while (_restarts.Count > 0 && now - _restarts.Peek() > _policy.RestartWindow) _restarts.Dequeue();
        _pausedSince = null;
        if (_restarts.Count >= _policy.MaxRestarts)
        {
            GiveUp($"{reason}; {_restarts.Count} restarts within {Seconds(_policy.RestartWindow)}");
            return;
        }
        _restarts.Enqueue(now);
        Log.LogWarning("VM {Vm} failed on {Node}: {Reason}; restart {Count} of {Max}", Name, _me, reason, _restarts.Count, _policy.MaxRestarts);
        Kill((_, error) =>
        {
            if (error is null) StartVm();
            else
            {
                _phase = Phase.Idle;
                Schedule(_policy.PollInterval);
            }
        });
    }

    /// <summary>
    /// The host gives up: the VM is forced off here, then VmFailed so the DC places it elsewhere (<paramref name="then"/>
    /// restart), or VmOperationFailed for on-fail stop or standby. A forced stop that fails is the stop's failure.
    /// </summary>
    private void GiveUp(string reason, VmOnFail then = VmOnFail.Restart, string operation = "monitor")
    {
        _phase = Phase.GivingUp;
        _giveUpReason = reason;
        _giveUpThen = then;
        _giveUpOperation = operation;
        Kill((_, error) =>
        {
            if (error is not null)
            {
                StopFailed($"cannot be forced off ({error}) after: {reason}");
                return;
            }
            Log.LogError("VM {Vm} failed on {Node}: {Reason}; {Then}", Name, _me, reason,
                then == VmOnFail.Restart ? "giving it up so that it runs elsewhere" : $"forced off (on-fail {VmOnFailPolicy.Name(then)} for {operation})");
            Report(then == VmOnFail.Restart ? new VmFailed(Name, _me, reason, Now) : new VmOperationFailed(Name, _me, operation, then, reason, Now));
            _phase = Phase.Done;
            Schedule(_policy.PollInterval);
        });
    }

    /// <summary>
    /// A forced stop failed: the stop's on-fail is reported (the ClusterActor takes the default as fence when fencing is
    /// enabled, else block), and nothing more is done to the VM here (a fence, or the operator, settles it).
    /// </summary>
    private void StopFailed(string reason)
    {
        Log.LogError("VM {Vm} failed to stop on {Node}: {Reason}; on-fail for stop follows", Name, _me, reason);
        Report(new VmOperationFailed(Name, _me, "stop", _spec!.OnFail.Stop, reason, Now));
        _phase = Phase.Done;
        Schedule(_policy.PollInterval);
    }

    /// <summary>
    /// An unmanaged VM (or one on a host in maintenance) failed: nothing is done to it. An unmanaged one known to be off is
    /// reported VmFailed (it runs nowhere now; the DC does not place it while it is unmanaged); on a maintenance host it is
    /// only logged.
    /// </summary>
    private void Unattended(string reason, bool off)
    {
        if (off && _assignment?.HostMaintenance != true && _assignment?.Vm?.State is VmRunState.Running or VmRunState.Starting)
        {
            Log.LogWarning("Unmanaged VM {Vm} failed on {Node}: {Reason}; reported, not restarted", Name, _me, reason);
            Report(new VmFailed(Name, _me, $"{reason} (unmanaged: not restarted)", Now));
            _phase = Phase.Done;
            Schedule(_policy.PollInterval);
            return;
        }
        Log.LogWarning("VM {Vm} failed on {Node}: {Reason}; left as it is (unmanaged or the host is in maintenance)", Name, _me, reason);
        _phase = Phase.Up;
        Schedule(_policy.MonitorInterval);
    }

    private sealed record CallDone(long Id, VmStatus? Status, string? Error);
}
