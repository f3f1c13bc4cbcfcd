using Haven.Actors.Coordinator;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// The daemon's clean stop under shutdown-lock (Pacemaker's shutdown-lock): the host sends NodeLeaving with the time of its
/// shutdown, so that the DC stops its VMs where they are and they stay locked to it; once it holds no address and no VM it
/// sends NodeLeft (<see cref="FinishLeaving"/>) and the waiting daemon is answered. With shutdown-lock off, or outside the
/// primary partition, it answers at once and the stop is what it was: the others see the host lost, fence it and move its VMs.
/// </summary>
public sealed partial class ClusterActor
{
    private IActorRef? _shutdownWaiter;

    private void OnShutDownCleanly()
    {
        if (!VmServices.Policy.ShutdownLock)
        {
            Sender.Tell(new CleanShutdownResult(false, "shutdown-lock is off: this host's VMs are recovered elsewhere once it is fenced"), Self);
            return;
        }
        if (_left)
        {
            Sender.Tell(new CleanShutdownResult(true, $"node {_options.Self.Name} has left the cluster"), Self);
            return;
        }
        if (_role != PartitionRole.Primary || !_viewSynced)
        {
            Sender.Tell(new CleanShutdownResult(false, $"this host is not in the primary partition ({_role.ToString().ToLowerInvariant()}): nothing is locked"), Self);
            return;
        }
        if (!_state.PrimaryPartition.Any(n => n != Me))
        {
            // no other member would be DC to stop its VMs and none could run them: the last host stops as without the lock
            Sender.Tell(new CleanShutdownResult(false, $"node {_options.Self.Name} is the only member: nothing is locked"), Self);
            return;
        }
        _shutdownWaiter = Sender;
        if (_state.StateOf(Me) == NodeState.Leaving || (_leaveRequested && _leaveViewId == _viewId))
        {
            FinishLeaving(); // a leave on the way: its VMs move as it asked, and the stop waits for it
            return;
        }
        var plan = new Plan(_state);
        if (!plan.Add(new NodeLeaving(Me) { ShutdownAt = Context.System.TimeProvider.GetUtcNow() }))
        {
            _shutdownWaiter = null;
            Sender.Tell(new CleanShutdownResult(false, $"node {_options.Self.Name} cannot shut down cleanly while it is {_state.StateOf(Me)?.ToString().ToLowerInvariant() ?? "not a member"}"), Self);
            return;
        }
        _leaveRequested = true;
        _leaveViewId = _viewId;
        Log.LogInformation("Node {Node} shuts down under shutdown-lock: its {Count} VM(s) stop here and stay locked to it", _options.Self.Name, VmsHere().Count);
        MulticastEvents(plan.Events);
    }

    /// <summary>This host's NodeLeft was applied: a clean stop waiting for it goes on.</summary>
    private void ShutdownLeft()
    {
        _shutdownWaiter?.Tell(new CleanShutdownResult(true, $"node {_options.Self.Name} stopped its VMs (locked to it) and left the cluster"), Self);
        _shutdownWaiter = null;
    }
}
