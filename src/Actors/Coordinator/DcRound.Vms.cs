using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Vms;

namespace Haven.Actors.Coordinator;

/// <summary>The DC round's VMs: on-fail fences, then <see cref="VmRecovery"/>'s placement, after the address recovery.</summary>
public static partial class DcRound
{
    private sealed partial class Round
    {
        public void RecoverVms()
        {
            var vms = _in.Vms;
            if (Plan.State.Vms.IsEmpty && vms.Services.Configured.IsEmpty) return;
            FenceForFailedOperations();
            // VmRecovery.Decide is a pure function of these (immutable collections: a change gives a new instance, and
            // they compare by reference); a round that found nothing to do is not repeated until one of them changes
            // (the DC runs a round after every event).
            ImmutableArray<object> inputs = [Plan.State.Vms, Plan.State.Nodes, Plan.State.Demoted, Plan.State.PendingFences, _in.ViewIds, Plan.State.VmHaEnabled()];
            if (!vms.IdleRound.IsDefault && vms.IdleRound.Length == inputs.Length && vms.IdleRound.Zip(inputs).All(p => Equals(p.First, p.Second)))
                return;
            var now = _in.Now;
            var runningSince = vms.RunningSince;
            foreach (var gone in runningSince.Keys.Where(n => Plan.State.Vms.GetValueOrDefault(n)?.State != VmRunState.Running).ToList())
                runningSince = runningSince.Remove(gone);
            foreach (var vm in Plan.State.Vms.Values)
                if (vm.State == VmRunState.Running && !runningSince.ContainsKey(vm.Name)) runningSince = runningSince.Add(vm.Name, now);
            var events = VmRecovery.Decide(Plan.State, _in.ViewIds, vms.Services, new VmGroupClock(now, runningSince), out var wakeAt);
            // a VM held by a group start delay is due later with the same inputs: no idle cache, a round at that time
            _vmRound = new DcVmRound(events.IsEmpty && wakeAt is null ? inputs : default, runningSince);
            if (wakeAt is { } at) _wakeUps.Add(new DcWakeUp("vm-group-delay", at > now ? at - now : TimeSpan.Zero));
            foreach (var e in events) Plan.Add(e);
        }
    }
}
