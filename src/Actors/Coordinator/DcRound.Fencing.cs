using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Coordinator;

/// <summary>
/// The DC round's fencing: which nodes are to be fenced (FenceRequested), readmission of a lost host that proved what it
/// holds, the on-fail fence of VMs, and what to do now about each open request — propose a confirmation again, start the
/// fence, or wait out the two-host priority delay. The fence itself is the FenceActor's; the verdict on its outcome the CoordinatorActor's.
/// </summary>
public static partial class DcRound
{
    private sealed partial class Round
    {
        private FencingPolicy Policy => _in.Fencing.Policy;

        /// <summary>
        /// A Down or Fenced member may join again. A Fenced one once its report agrees with the state; a Down one only
        /// when fencing it is impossible (it was tried and failed as such under today's rules), no fence is open, and
        /// its report agrees — otherwise it is fenced first.
        /// </summary>
        private bool MayReadmit(NodeId node)
        {
            var state = Plan.State;
            var nodeState = state.StateOf(node);
            if (nodeState is not (NodeState.Down or NodeState.Fenced) || state.PendingFences.ContainsKey(node)) return false;
            if (nodeState == NodeState.Down && !ImpossibleUnderTodaysRules(node)) return false;
            if (state.HoldingsProblem(node) is not { } problem) return true;
            if (state.Holdings.ContainsKey(node)) _notes.Add(new DcNote.NotReadmitted(NameOf(node), problem));
            return false;
        }

        /// <summary>A fence of <paramref name="node"/> failed as impossible under the rules in force (journaled once, not asked again).</summary>
        private bool ImpossibleUnderTodaysRules(NodeId node) =>
            !_expiredImpossible.Contains(node) && _in.Fencing.Impossible.TryGetValue(node, out var failedUnder) && failedUnder == Policy;

        private void RequestFence(NodeId id, string reason)
        {
            if (Plan.State.PendingFences.ContainsKey(id)) return;
            if (!_expiredImpossible.Contains(id) && _in.Fencing.Impossible.TryGetValue(id, out var failedUnder))
            {
                if (failedUnder == Policy) return; // journaled once; retried when the rules change
                _expiredImpossible.Add(id);
            }
            if (_in.Fencing.RetryAt.TryGetValue(id, out var at) && at > _in.Now)
            {
                _wakeUps.Add(new DcWakeUp($"fence-retry-{id.Value}", at - _in.Now));
                return;
            }
            Plan.Add(new FenceRequested(id, Me, reason));
        }

        /// <summary>
        /// On-fail fence: a host where a VM's operation failed is downed and fenced, as `haven cluster down` does (it rejoins
        /// after its restart); the VM starts elsewhere once the fence is done. A fence this DC cannot carry out — of itself (it
        /// never fences itself), with fencing off, or of a host whose fence failed as impossible under the rules in force —
        /// falls back to block (VmFenceBlocked: unmanaged where it is, reported), never left pending for ever.
        /// </summary>
        private void FenceForFailedOperations()
        {
            foreach (var vm in Plan.State.Vms.Values.ToList())
            {
                if (vm.FenceFor is not { } node || vm.Node != node) continue;
                var why = $"VM {vm.Name}: {vm.Reason}";
                if (Plan.State.StateOf(node) is NodeState.Fenced or NodeState.Left or null) continue;
                var impossible = node == Me ? $"{NameOf(node)} is the DC, which never fences itself"
                    : !Policy.Enabled ? "fencing is disabled"
                    : _in.Fencing.NeverPossible.TryGetValue(node, out var failedUnder) && failedUnder == Policy
                        ? $"fencing {NameOf(node)} is impossible under the fencing rules in force"
                    : null;
                if (impossible is not null)
                {
                    if (Plan.Add(new VmFenceBlocked(vm.Name, node, impossible))) _notes.Add(new DcNote.FenceBlocked(vm.Name, NameOf(node), impossible));
                    continue;
                }
                if (Plan.State.StateOf(node) != NodeState.Down) Plan.Add(new NodeDown(node, why));
                if (Plan.State.StateOf(node) == NodeState.Down) RequestFence(node, why);
            }
        }

        /// <summary>
        /// The DC carries out every open request of the state the round started from (the proposal is not applied yet),
        /// also those a previous DC made before it was lost.
        /// </summary>
        public void StartFencing()
        {
            var state = _in.State;
            foreach (var request in state.PendingFences.Values.OrderBy(r => r.Target))
            {
                if (request.Target == Me) continue; // the DC is never unclean (DcOfView); a stale request waits for the next DC
                if (_in.Fencing.InFlight.Contains(request.Target)) continue;
                var requestAt = _in.Fencing.RequestAt.GetValueOrDefault(request.Target);
                if (_in.Fencing.Confirmed.TryGetValue(request.Target, out var confirmed) && confirmed.RequestAt == requestAt)
                {
                    _fences.Add(new FenceStep.Repropose(new FenceSucceeded(request.Target, confirmed.Device, confirmed.Seconds)));
                    continue;
                }
                if (WaitForPriorityDelay(request.Target, requestAt)) continue;
                var target = new FenceTarget(request.Target, NameOf(request.Target), request.Reason);
                var context = new FencingContext(_in.ViewIds.Length, _in.Configured.Count, _in.Fencing.Quorate);
                _fences.Add(new FenceStep.Start(new FenceNode(target, requestAt, context, Policy)));
            }
        }

        /// <summary>
        /// Two-host fence races: the DC holding less than its peer waits priority-delay before fencing it, so
        /// that the busier host wins (HA-Lizard, Pacemaker's priority-fencing-delay). True while it waits.
        /// </summary>
        private bool WaitForPriorityDelay(NodeId target, long requestAt)
        {
            var now = _in.Now;
            var delay = FencingRules.PriorityDelay(Policy, _in.Configured.Count, Weight(Me), Weight(target), Me < target);
            if (delay <= TimeSpan.Zero) return false;
            if (!_in.Fencing.NotBefore.TryGetValue(target, out var wait) || wait.RequestAt != requestAt)
            {
                wait = (requestAt, now + delay);
                _notBefore[target] = wait;
                _notes.Add(new DcNote.PriorityDelay(delay, NameOf(target)));
            }
            if (now >= wait.At) return false;
            _fences.Add(new FenceStep.Wait(target, new DcWakeUp($"fence-delay-{target.Value}", wait.At - now)));
            return true;
        }

        /// <summary>What a host holds, for the priority delay: its addresses.</summary>
        private long Weight(NodeId node) => _in.State.IpsOf(node).Count();
    }
}
