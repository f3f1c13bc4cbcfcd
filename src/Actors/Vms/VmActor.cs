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
        if (previous?.Vm?.State != a.Vm?.State || previous?.Vm?.Node != a.Vm?.Node || previous?.Vm?.Target != a.Vm?.Target
            || previous?.Vm?.Attempt != a.Vm?.Attempt) _pending = null;
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
            Report(new VmFailed(Name, _me, $"this host has no {_spec!.Hypervisor} hypervisor", Now));
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
            Report(new VmFailed(Name, _me, reason, Now));
            _phase = Phase.Done;
            Schedule(_policy.PollInterval);
        });
    }

    private sealed record CallDone(long Id, VmStatus? Status, string? Error);
}
