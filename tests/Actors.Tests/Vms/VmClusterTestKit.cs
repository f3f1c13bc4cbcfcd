using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Tests.Cluster;
using Haven.Actors.Vms;
using Haven.TestKit;

namespace Haven.Actors.Tests.Vms;

/// <summary>Whole clusters with VMs: ClusterActors on the simulated network, one scripted hypervisor per host.</summary>
public abstract class VmClusterTestKit : HavenTestKit
{
    /// <summary>Each host's hypervisor; a host keeps its domains across daemon restarts and loses them with power.</summary>
    private protected Dictionary<NodeId, FakeHypervisor> Hypervisors { get; } = [];

    /// <summary>Changes the VM policy every host of the next <see cref="Cluster(int, VmSpec[])"/> runs with (null: the kit's).</summary>
    private protected Func<VmPolicy, VmPolicy>? PolicyOverride { get; set; }

    private protected TestCluster Cluster(int nodes, params VmSpec[] vms) => Cluster(null, nodes, null, vms);

    /// <summary>As <see cref="Cluster(int, VmSpec[])"/>, with this no-quorum-policy on every host (null: the default).</summary>
    private protected TestCluster Cluster(int nodes, Haven.Actors.SplitBrain.NoQuorumPolicy? noQuorumPolicy, params VmSpec[] vms) =>
        Cluster(null, nodes, noQuorumPolicy, vms);

    private protected TestCluster Cluster(Func<ClusterOptions, ClusterOptions>? configure, int nodes, params VmSpec[] vms) =>
        Cluster(configure, nodes, null, vms);

    private protected TestCluster Cluster(Func<ClusterOptions, ClusterOptions>? configure, int nodes, Haven.Actors.SplitBrain.NoQuorumPolicy? noQuorumPolicy,
        params VmSpec[] vms)
    {
        var policy = new VmPolicy
        {
            MonitorInterval = TimeSpan.FromSeconds(1), PollInterval = TimeSpan.FromMilliseconds(500), SyncInterval = TimeSpan.FromSeconds(2),
            StartTimeout = TimeSpan.FromSeconds(5), StopTimeout = TimeSpan.FromSeconds(3), CallTimeout = TimeSpan.FromSeconds(2),
        };
        if (PolicyOverride is { } change) policy = change(policy);
        var cluster = new TestCluster(this, nodes, splitBrain: s => noQuorumPolicy is { } p ? s with { NoQuorumPolicy = p } : s, configure: configure, vms: member =>
        {
            var hv = Hypervisors[member.Id] = Hypervisors.GetValueOrDefault(member.Id) ?? new FakeHypervisor();
            return new VmServices(new Dictionary<string, IHypervisor> { ["process"] = hv })
            {
                Policy = policy,
                Configured = [.. vms.Select(v => new VmAdded(v))],
            };
        });
        foreach (var host in cluster.Hosts)
        {
            var id = host.Member.Id;
            host.PoweredOff += () => Hypervisors.GetValueOrDefault(id)?.Domains.Clear();
        }
        return cluster;
    }

    private protected static VmSpec Vm(string name, string prefers, bool migrate = false) =>
        new(name, "process", name.ToLowerInvariant(), 1, 256, [new NodePreference(prefers, 100)], migrate);

    /// <summary>The hosts whose hypervisor runs <paramref name="vm"/>.</summary>
    private protected List<NodeId> RunningOn(string vm) =>
        [.. Hypervisors.Where(h => h.Value.Domains.TryGetValue(vm, out var s) && s.State == VmPowerState.Running).Select(h => h.Key)];

    /// <summary>Sends <paramref name="command"/> to a host's ClusterActor, runs the cluster for <paramref name="run"/> (1 s) and returns the answer.</summary>
    private protected T Ask<T>(TestCluster cluster, uint host, object command, TimeSpan? run = null)
    {
        var probe = CreateTestProbe();
        cluster[host].Actor!.Tell(command, probe.Ref);
        cluster.Run(run ?? TimeSpan.FromSeconds(1));
        return probe.ExpectMsg<T>();
    }
}
