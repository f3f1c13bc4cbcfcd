using System.Globalization;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Vms;

/// <summary>The VmActor's stop, live migration and absent roles.</summary>
public sealed partial class VmActor
{
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
            else StopFailed(why.EndsWith(error, StringComparison.Ordinal)
                ? $"the shutdown request and the forced stop failed: {error}" // one cause (a missing tool), said once
                : $"the forced stop failed ({error}) after: {why}");
        });
    }

    private void Stopped(string how)
    {
        Log.LogInformation("VM {Vm} stopped on {Node} ({How})", Name, _me, how);
        Report(new VmStopped(Name, _me, how));
        _stoppedHere = true;
        _phase = Phase.Done;
        Schedule(_policy.PollInterval);
    }

    /// <summary>
    /// Live-migrates the VM to the target. Only a VM seen running here is migrated; one that is no longer here
    /// (a migration that completed before this host restarted, or a report that was lost) belongs to the
    /// target: VmMigrated, and the target runs it or restarts it. A failed call is VmMigrationFailed only
    /// while the VM still runs here.
    /// <para>
    /// One attempt, one outcome: once this host has reported how a migration attempt ended, the same attempt is never
    /// carried out again (a step re-entered by a maintenance or role change, a re-sent assignment). It re-sends the
    /// outcome it gave instead. A second try that succeeded after a reported failure would leave the VM on the target
    /// while the failure, landing later, tells the source it still runs the VM there, and the source restarts it: the VM
    /// runs twice (swarm seed 56571569). A new migration is a new attempt, decided by the DC.
    /// </para>
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
        var attempt = _assignment.Vm.Attempt;
        if (_migrationOutcome is { } given && AttemptOf(given) == attempt)
        {
            ResendMigration(given);
            return;
        }
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
                ReportMigration(new VmMigrated(Name, _me, to, attempt));
                Schedule(_policy.PollInterval);
                return;
            }
            if (_hypervisor is not { SupportsLiveMigration: true })
            {
                ReportMigration(new VmMigrationFailed(Name, _me, to, _hypervisor is null
                    ? $"this host has no {_spec!.Hypervisor} hypervisor"
                    : $"the {_hypervisor.Kind} hypervisor cannot live-migrate", attempt));
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
                        ReportMigration(new VmMigrated(Name, _me, to, attempt));
                        Schedule(_policy.PollInterval);
                        return;
                    }
                    Status((after, _) =>
                    {
                        if (after?.State is VmPowerState.Running or VmPowerState.Paused)
                        {
                            Log.LogWarning("Migration of VM {Vm} from {Node} to {Target} failed: {Reason}; it keeps running here", Name, _me, target, error);
                            ReportMigration(new VmMigrationFailed(Name, _me, to, error, attempt));
                        }
                        else
                        {
                            Log.LogWarning("Migration of VM {Vm} from {Node} to {Target} reported {Reason}, but it no longer runs here: it is the target's now",
                                Name, _me, target, error);
                            ReportMigration(new VmMigrated(Name, _me, to, attempt));
                        }
                        Schedule(_policy.PollInterval);
                    });
                });
        });
    }

    private void ReportMigration(IClusterEvent outcome)
    {
        _migrationOutcome = outcome;
        Report(outcome);
    }

    /// <summary>The outcome this host gave is reported again (not made anew), until the state answers it.</summary>
    private void ResendMigration(IClusterEvent outcome)
    {
        _pending = outcome;
        Context.Parent.Tell(new VmReport(outcome), Self);
        _phase = Phase.Done;
        Schedule(_policy.PollInterval);
    }

    private static long AttemptOf(IClusterEvent outcome) => outcome switch
    {
        VmMigrated m => m.Attempt,
        VmMigrationFailed f => f.Attempt,
        _ => -1,
    };

    private void AbsentStep()
    {
        if (_phase == Phase.Done)
        {
            // Off already: a newer assignment asking the same gets its own answer (the parent drops an idle of an
            // older one, and would otherwise keep this child — and a returning host's report — waiting for ever).
            if (_idleSeq != (_assignment?.Seq ?? 0)) Idle();
            return;
        }
        if (_hypervisor is null)
        {
            Idle();
            return;
        }
        Status((s, error) =>
        {
            if (error is not null)
            {
                AbsentStatusFailed(error);
                return;
            }
            _absentStatusFailures = 0;
            if (s!.State == VmPowerState.Stopped) Idle();
            else if (s.State == VmPowerState.Crashed && _assignment?.Vm is { Unmanaged: true, Node: null })
            {
                Log.LogWarning("Unmanaged VM {Vm} is {State} on {Node}: left as it is", Name, Describe(s), _me);
                Idle(); // a crashed domain runs nothing; one that runs is forced off below even when unmanaged (never two copies)
            }
            else
            {
                Log.LogWarning("VM {Vm} is {State} on {Node} but the cluster does not place it here; forcing it off", Name, Describe(s), _me);
                // A copy while the state runs it on another host: multiply active. It is off before that is reported (never two copies).
                var second = s.State is VmPowerState.Running or VmPowerState.Paused && _assignment?.Vm is { Node: { } there } && there != _me;
                Kill((_, killError) =>
                {
                    if (killError is not null)
                    {
                        Schedule(_policy.PollInterval);
                        return;
                    }
                    if (second) Context.Parent.Tell(new VmReport(new VmMultiplyActive(Name, _me, Now)), Self);
                    Idle();
                });
            }
        });
    }

    /// <summary>Status calls in a row that failed under the absent role (reset by an answer or a new role).</summary>
    private int _absentStatusFailures;

    /// <summary>How many status calls in a row may fail before the absent role gives up on a VM the cluster no longer has.</summary>
    internal const int AbsentStatusAttempts = 3;

    /// <summary>
    /// A status call under the absent role failed (the hypervisor's tool is missing, the domain is undefined). It is asked
    /// again on the poll timer; after <see cref="AbsentStatusAttempts"/> failures in a row one warning says so, and a VM
    /// that was removed from the cluster (<c>vm remove --force</c>: nothing places it anywhere) is given up: idle, which
    /// stops this actor. One the cluster still has is asked on (a copy left here must be seen off: never two copies).
    /// </summary>
    private void AbsentStatusFailed(string error)
    {
        _absentStatusFailures++;
        var removed = _assignment?.Vm is null;
        if (_absentStatusFailures == AbsentStatusAttempts)
        {
            if (removed)
                Log.LogWarning("VM {Vm} was removed, but its status on {Node} could not be read {Attempts} times ({Error}): no longer checked here; stop it by hand if it still runs",
                    Name, _me, _absentStatusFailures, error);
            else
                Log.LogWarning("VM {Vm} is not placed on {Node}, but its status there could not be read {Attempts} times ({Error}): asking again every {Interval}",
                    Name, _me, _absentStatusFailures, error, Seconds(_policy.PollInterval));
        }
        if (removed && _absentStatusFailures >= AbsentStatusAttempts) Idle();
        else Schedule(_policy.PollInterval);
    }

    private long? _idleSeq;

    private void Idle()
    {
        _phase = Phase.Done;
        _idleSeq = _assignment?.Seq ?? 0;
        Context.Parent.Tell(new VmActorIdle(Name, _idleSeq.Value), Self);
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
