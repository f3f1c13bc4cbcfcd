using Haven.Actors.Hosts;
using Haven.Actors.Membership;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// A lost host that returns proves what it holds (docs/cluster.md, "A host comes back"). Back in a synced primary
/// partition while the state has it Down or Fenced, it releases its floating addresses, forces off every VM the
/// state places elsewhere (the HostActor's SyncVm), and then reports what is left — VMs the state still places on
/// it — as <see cref="NodeHoldings"/>. The DC readmits it (<see cref="Coordinator.DcRound"/>) once the report agrees with the state: after its fence
/// when fencing is possible, without one when fencing is impossible (off, or no device for it).
/// </summary>
public sealed partial class ClusterActor
{
    // The report this host multicast and has not seen applied yet (in this view, in this unclean spell): not sent twice.
    private NodeHoldings? _holdingsSent;
    // The addresses released for this unclean spell: null until they are asked of the HostActor, then the release
    // asked (Done false until it answered that all are released).
    private RejoinRelease? _rejoinRelease;
    // The HostActor's last word on this host's VMs, and the state version it was last asked of.
    private LocalVms? _localVmsNow;
    private long _localVmsAsked = -1;

    /// <summary>Called after every applied batch, VM child idle and sync tick: sends the report once it is true.</summary>
    private void ReportHoldings()
    {
        if (_holdingsSent is { } sent && sent.Equals(_state.Holdings.GetValueOrDefault(Me))) _holdingsSent = null; // applied
        if (!SelfUnclean)
        {
            _rejoinRelease = null;
            _holdingsSent = null;
            return;
        }
        if (_role != PartitionRole.Primary || !_viewSynced || _left) return;
        if (_rejoinRelease is null)
        {
            var releases = _state.IpsOf(Me).Select(a =>
            {
                Log.LogInformation("Node {Node} is {State} in the cluster state: releasing {Ip} before it reports what it holds",
                    _options.Self.Name, _state.StateOf(Me), a.Ip);
                return AddressOf(a);
            }).ToList();
            _rejoinRelease = new RejoinRelease();
            Release(releases, _rejoinRelease);
        }
        if (!_rejoinRelease.Done) return; // the HostActor's answer comes back to OnRejoinReleased
        // Every VM the state places elsewhere is checked here (the sweep) and forced off (its child gone) first: the
        // HostActor says so (LocalVms), of this very state; it is asked once per state, and also tells after each change.
        if (_localVmsNow is not { } local || local.Version != _stateVersion)
        {
            if (_localVmsAsked == _stateVersion) return;
            _localVmsAsked = _stateVersion;
            Host.Tell(new ReportLocalVms(HostViewNow()), Self);
            return;
        }
        if (!local.Settled) return;
        var report = new NodeHoldings(Me, local.Vms, []);
        if (report.Equals(_holdingsSent) || report.Equals(_state.Holdings.GetValueOrDefault(Me))) return;
        if (!WouldApply(report)) return; // e.g. a fence request open while the state has it Unhealthy: not Down yet
        _holdingsSent = report;
        Log.LogInformation("Node {Node} is {State} in the cluster state and reports what it holds: {Vms}", _options.Self.Name,
            _state.StateOf(Me), report.Vms.IsEmpty ? "no VM, no address" : $"VMs {string.Join(", ", report.Vms)}, no address");
        Multicast(report);
    }

    private void OnLocalVms(LocalVms local)
    {
        _localVmsNow = local;
        ReportHoldings();
    }

    /// <summary>The HostActor's answer to this spell's release: the report may go now; a failure asks again at the next report.</summary>
    private void OnRejoinReleased(RejoinRelease release, string? failure)
    {
        if (!ReferenceEquals(release, _rejoinRelease)) return; // an earlier spell's
        if (failure is not null)
        {
            Log.LogError("Node {Node} could not release its addresses ({Reason}); it reports nothing until it has", _options.Self.Name, failure);
            _rejoinRelease = null; // asked again at the next report
        }
        else
        {
            release.Done = true;
            ReportHoldings();
        }
        Self.Tell(ReconcileTick.Instance, Self);
    }

    /// <summary>One spell's release of this host's addresses, asked of the HostActor.</summary>
    private sealed class RejoinRelease
    {
        public bool Done { get; set; }
    }
}
