using System.Globalization;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Vms;

/// <summary>
/// One managed VM on this host: a child of the host's ClusterActor, which hands it every change of the
/// VM's replicated state as a <see cref="VmAssignment"/>. It carries out this host's <see cref="VmLocalRole"/>
/// through <see cref="IHypervisor"/> and reports outcomes as <see cref="VmReport"/>s, which the ClusterActor
/// multicasts (re-sent every poll until the state changes; duplicates are rejected by the state).
/// <list type="bullet">
/// <item>Run: start (unless already running), poll until Running within start-timeout, report VmRunning, then
/// monitor every monitor-interval. A VM that stopped or crashed is restarted (kill, start); more than
/// max-restarts within restart-window and the host gives up: forced off, then VmFailed (the DC moves it).
/// A VM paused on I/O errors is degraded, not failed, for io-pause-grace.</item>
/// <item>Stop: graceful shutdown, poll until Stopped within stop-timeout, else forced off; then VmStopped.</item>
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
    private string _giveUpReason = "";

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
    private DateTimeOffset Now => Context.System.TimeProvider.GetUtcNow();

    private void OnAssignment(VmAssignment a)
    {
        var previous = _assignment;
        _assignment = a;
        if (a.Vm is not null) _spec = a.Vm.Spec;
        // Where the VM is changed: what was reported arrived (or is moot). Other changes (desired, HA) do not answer it.
        if (previous?.Vm?.State != a.Vm?.State || previous?.Vm?.Node != a.Vm?.Node || previous?.Vm?.Target != a.Vm?.Target) _pending = null;
        if (previous is null || previous.Role != a.Role || previous.TargetName != a.TargetName)
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
                    if (error is not null) Fail($"status failed: {error}");
                    else if (s!.State is VmPowerState.Running or VmPowerState.Paused) Monitor(s, announce: true);
                    else if (_assignment?.Vm?.State == VmRunState.Running) Fail($"it is {Describe(s)} though the cluster has it running here");
                    else StartVm();
                });
                break;
            case Phase.Starting:
                Status((s, error) =>
                {
                    if (s?.State == VmPowerState.Running) Monitor(s, announce: true);
                    else if (Now >= _deadline) Fail($"not running {Seconds(_policy.StartTimeout)} after its start ({(error ?? Describe(s!))})");
                    else Schedule(_policy.PollInterval);
                });
                break;
            case Phase.Up:
                Status((s, error) =>
                {
                    if (error is not null) Fail($"monitor failed: {error}");
                    else Monitor(s!, announce: false);
                });
                break;
            case Phase.GivingUp:
                GiveUp(_giveUpReason);
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
            Report(new VmFailed(Name, _me, $"this host has no {_spec!.Hypervisor} hypervisor"));
            _phase = Phase.Done;
            Schedule(_policy.PollInterval);
            return;
        }
        _phase = Phase.Starting;
        _deadline = Now + _policy.StartTimeout;
        Log.LogInformation("Starting VM {Vm} on {Node} via {Hypervisor}", Name, _me, _hypervisor.Kind);
        var definition = _spec!.Definition;
        Call(_policy.StartTimeout, async ct => { await _hypervisor.StartAsync(definition, ct).ConfigureAwait(false); return null; },
            (_, error) =>
            {
                if (error is not null) Fail($"start failed: {error}");
                else RunStep();
            });
    }

    private void Monitor(VmStatus status, bool announce)
    {
        _phase = Phase.Up;
        if (status.State == VmPowerState.Running)
        {
            if (_pausedSince is not null) Log.LogInformation("VM {Vm} resumed on {Node}", Name, _me);
            _pausedSince = null;
        }
        else if (status.State == VmPowerState.Paused)
        {
            _pausedSince ??= Now;
            var paused = Now - _pausedSince.Value;
            if (paused >= _policy.IoPauseGrace)
            {
                Fail($"paused for {Seconds(paused)} ({status.Detail}), longer than the {Seconds(_policy.IoPauseGrace)} grace");
                return;
            }
            Log.LogWarning("VM {Vm} on {Node} is paused ({Detail}): degraded, not failed, for up to {Grace}", Name, _me, status.Detail, _policy.IoPauseGrace);
        }
        else
        {
            Fail($"it is {Describe(status)}");
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

    /// <summary>A failed start or monitor: restart unless the restart limit is reached within the window.</summary>
    private void Fail(string reason)
    {
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

    /// <summary>The host gives up: the VM is forced off here, then VmFailed so the DC places it elsewhere.</summary>
    private void GiveUp(string reason)
    {
        _phase = Phase.GivingUp;
        _giveUpReason = reason;
        Kill((_, error) =>
        {
            if (error is not null)
            {
                Log.LogError("VM {Vm} cannot be forced off on {Node}: {Reason}; retrying before it is reported failed", Name, _me, error);
                Schedule(_policy.PollInterval);
                return;
            }
            Log.LogError("VM {Vm} failed on {Node}: {Reason}; giving it up so that it runs elsewhere", Name, _me, reason);
            Report(new VmFailed(Name, _me, reason));
            _phase = Phase.Done;
            Schedule(_policy.PollInterval);
        });
    }

    // ---- stop, migrate, absent ------------------------------------------------------------------------

    private void StopStep()
    {
        switch (_phase)
        {
            case Phase.Idle:
                Status((s, _) =>
                {
                    if (s?.State == VmPowerState.Stopped)
                    {
                        Stopped("it was not running");
                        return;
                    }
                    Log.LogInformation("Stopping VM {Vm} on {Node}", Name, _me);
                    _phase = Phase.Stopping;
                    _deadline = Now + _policy.StopTimeout;
                    var definition = _spec!.Definition;
                    Call(_policy.CallTimeout, async ct => { await _hypervisor!.ShutdownAsync(definition, ct).ConfigureAwait(false); return null; },
                        (_, error) =>
                        {
                            if (error is not null) ForceOff($"shutdown request failed: {error}");
                            else Schedule(_policy.PollInterval);
                        });
                });
                break;
            case Phase.Stopping:
                Status((s, _) =>
                {
                    if (s?.State == VmPowerState.Stopped) Stopped("shut down");
                    else if (Now >= _deadline) ForceOff($"still {(s is null ? "unknown" : Describe(s))} {Seconds(_policy.StopTimeout)} after the shutdown request");
                    else Schedule(_policy.PollInterval);
                });
                break;
            case Phase.Killing:
                ForceOff("retrying the forced stop");
                break;
            case Phase.Done:
                Schedule(_policy.PollInterval);
                break;
        }
    }

    private void ForceOff(string why)
    {
        _phase = Phase.Killing;
        Log.LogWarning("Forcing VM {Vm} off on {Node}: {Reason}", Name, _me, why);
        Kill((_, error) =>
        {
            if (error is null) Stopped($"forced off: {why}");
            else Schedule(_policy.PollInterval);
        });
    }

    private void Stopped(string how)
    {
        Log.LogInformation("VM {Vm} stopped on {Node} ({How})", Name, _me, how);
        Report(new VmStopped(Name, _me, how));
        _phase = Phase.Done;
        Schedule(_policy.PollInterval);
    }

    /// <summary>
    /// Live-migrates the VM to the target. Only a VM seen running here is migrated; one that is no longer here
    /// (a migration that completed before this host restarted, or a report that was lost) belongs to the
    /// target: VmMigrated, and the target runs it or restarts it. A failed call is VmMigrationFailed only
    /// while the VM still runs here.
    /// </summary>
    private void MigrateStep()
    {
        if (_phase == Phase.Done)
        {
            Schedule(_policy.PollInterval);
            return;
        }
        var target = _assignment!.TargetName;
        var to = _assignment.Vm!.Target!.Value;
        Status((before, statusError) =>
        {
            if (statusError is not null)
            {
                Schedule(_policy.PollInterval); // ask again: no answer is no evidence either way
                return;
            }
            _phase = Phase.Done;
            if (before!.State is not (VmPowerState.Running or VmPowerState.Paused))
            {
                Log.LogWarning("VM {Vm} is {State} on {Node}, not running: it is the migration target {Target}'s now", Name, Describe(before), _me, target);
                Report(new VmMigrated(Name, _me, to));
                Schedule(_policy.PollInterval);
                return;
            }
            if (_hypervisor is not { SupportsLiveMigration: true })
            {
                Report(new VmMigrationFailed(Name, _me, to, _hypervisor is null
                    ? $"this host has no {_spec!.Hypervisor} hypervisor"
                    : $"the {_hypervisor.Kind} hypervisor cannot live-migrate"));
                Schedule(_policy.PollInterval);
                return;
            }
            Log.LogInformation("Migrating VM {Vm} from {Node} to {Target}", Name, _me, target);
            var definition = _spec!.Definition;
            Call(_policy.MigrateTimeout, async ct => { await _hypervisor.MigrateAsync(definition, target, ct).ConfigureAwait(false); return null; },
                (_, error) =>
                {
                    if (error is null)
                    {
                        Log.LogInformation("VM {Vm} migrated from {Node} to {Target}", Name, _me, target);
                        Report(new VmMigrated(Name, _me, to));
                        Schedule(_policy.PollInterval);
                        return;
                    }
                    Status((after, _) =>
                    {
                        if (after?.State is VmPowerState.Running or VmPowerState.Paused)
                        {
                            Log.LogWarning("Migration of VM {Vm} from {Node} to {Target} failed: {Reason}; it keeps running here", Name, _me, target, error);
                            Report(new VmMigrationFailed(Name, _me, to, error));
                        }
                        else
                        {
                            Log.LogWarning("Migration of VM {Vm} from {Node} to {Target} reported {Reason}, but it no longer runs here: it is the target's now",
                                Name, _me, target, error);
                            Report(new VmMigrated(Name, _me, to));
                        }
                        Schedule(_policy.PollInterval);
                    });
                });
        });
    }

    private void AbsentStep()
    {
        if (_phase == Phase.Done) return;
        if (_hypervisor is null)
        {
            Idle();
            return;
        }
        Status((s, error) =>
        {
            if (error is not null) Schedule(_policy.PollInterval);
            else if (s!.State == VmPowerState.Stopped) Idle();
            else
            {
                Log.LogWarning("VM {Vm} is {State} on {Node} but the cluster does not place it here; forcing it off", Name, Describe(s), _me);
                Kill((_, killError) =>
                {
                    if (killError is null) Idle();
                    else Schedule(_policy.PollInterval);
                });
            }
        });
    }

    private void Idle()
    {
        _phase = Phase.Done;
        Context.Parent.Tell(new VmActorIdle(Name, _assignment?.Seq ?? 0), Self);
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record CallDone(long Id, VmStatus? Status, string? Error);
}
