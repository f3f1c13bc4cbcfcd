using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Hosts;

/// <summary>
/// This host's local effects (the LRM of pve-ha-manager): a child of the <see cref="ClusterActor"/> (named <c>host</c>)
/// on every node. The ClusterActor replicates and decides what the state asks of this host (<see cref="HostEffects"/>,
/// the hand-over, the demotion, the rejoin); this actor carries it out on the machine and reports back what happened,
/// which the ClusterActor journals or multicasts as before. It owns the address adapter: every takeip and releaseip of
/// this host goes through it (<see cref="TakeIp"/>, <see cref="ReleaseIps"/>), in the order the ClusterActor asked them.
/// Its children are this host's <see cref="VmActor"/>s (HostActor.Vms.cs); it probes the IP heuristics (HostActor.Heuristics.cs).
/// </summary>
public sealed partial class HostActor : Actor
{
    private readonly NodeId _self;
    private readonly string _selfName;
    private readonly IAddressManager _addresses;
    private readonly VmServices _vms;

    /// <param name="reachability">null when heuristics are off: nothing is probed.</param>
    public static Props Props(Member self, IAddressManager addresses, VmServices vms, IReachability? reachability = null, TimeSpan heuristicsInterval = default) =>
        Runtime.Props.Create(() => new HostActor(self, addresses, vms, reachability, heuristicsInterval));

    public HostActor(Member self, IAddressManager addresses, VmServices vms, IReachability? reachability = null, TimeSpan heuristicsInterval = default)
    {
        ArgumentNullException.ThrowIfNull(self);
        (_self, _selfName) = (self.Id, self.Name);
        _addresses = addresses ?? throw new ArgumentNullException(nameof(addresses));
        _vms = vms ?? throw new ArgumentNullException(nameof(vms));
        (_reachability, _heuristicsInterval) = (reachability, heuristicsInterval);
        Receive<TakeIp>(Take);
        Receive<ReleaseIps>(Release);
        RegisterVmHandlers();
        StartHeuristics();
    }

    private NodeId Me => _self;

    // ---- addresses ----------------------------------------------------------------------------------

    /// <summary>Takes an address; a failure (another machine still answers for it, or a command failed) is logged and reported.</summary>
    private void Take(TakeIp take)
    {
        var (address, attempt) = (take.Address, take.Attempt);
        var (self, parent) = (Self, Context.Parent);
        var log = Log;
        Task task;
        try
        {
            task = _addresses.TakeAsync(address, take.Probe, CancellationToken.None);
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }
        task.ContinueWith(t =>
            {
                var reason = t.Exception?.GetBaseException().Message ?? "failed";
                log.LogError("Could not take {Ip} (attempt {Attempt}): {Reason}; retrying while it is this host's", address.Ip, attempt + 1, reason);
                parent.Tell(new IpTakeFailed(address.Ip, attempt, reason), self);
            },
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Releases addresses, each failure logged; with a report, answers once all have ended.</summary>
    private void Release(ReleaseIps release)
    {
        var (self, parent) = (Self, Context.Parent);
        var log = Log;
        var releases = release.Addresses.Select(a =>
        {
            Task task;
            try
            {
                task = _addresses.ReleaseAsync(a, CancellationToken.None);
            }
            catch (Exception e)
            {
                task = Task.FromException(e);
            }
            task.ContinueWith(t => log.LogError(t.Exception?.GetBaseException(), "Could not {Action}", $"release {a.Ip}"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        }).ToArray();
        if (release.Report is not { } report) return;
        Task.WhenAll(releases).ContinueWith(t =>
                parent.Tell(new IpsReleased(report, t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "cancelled"), self),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
