using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Hosts;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Actors.SplitBrain;
using Haven.Actors.Tests.Vms;
using Haven.Actors.Vms;
using Haven.TestKit;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Hosts;

/// <summary>
/// This host's effects under a parent that hands a probe what the child sends: takes and releases reach the address
/// adapter in the order asked, a failed take is reported with its attempt, and a release asked with a report is
/// answered only once every address is off (with the failure, when one failed); an applied event that places a VM
/// here starts it in a VmActor child whose reports are passed on, and a demotion stops it and says when it is stopped.
/// </summary>
public sealed class HostActorTests : HavenTestKit
{
    private static readonly PublicAddress A = new("10.0.0.11", 24, "eth0");
    private static readonly PublicAddress B = new("10.0.0.12", 24, "eth0");
    private static readonly ImmutableArray<Member> Nodes = [new Member(N(1), "node1"), new Member(N(2), "node2"), new Member(N(3), "node3")];
    private readonly GatedAddresses _addresses = new();
    private readonly FakeHypervisor _hypervisor = new();

    private (IActorRef Parent, TestProbe Cluster) Start()
    {
        var cluster = CreateTestProbe("cluster");
        var vms = new VmServices(new Dictionary<string, IHypervisor> { ["process"] = _hypervisor });
        return (ActorOf(Haven.Actors.Runtime.Props.Create(() => new ParentOf(HostActor.Props(Nodes[0], _addresses, vms), cluster.Ref)), "cluster-actor"), cluster);
    }

    private static HostView View(ClusterState state, long version, bool primary = true) => new(version, state, primary, Left: false, Nodes);

    /// <summary>VM-A placed on node1 (this host), started there.</summary>
    private (IActorRef Parent, TestProbe Cluster) StartVmHere()
    {
        var (parent, cluster) = Start();
        var added = ThreeUp().Apply(new VmAdded(new VmSpec("VM-A", "process", "/bin/true")));
        var placed = new VmPlaced("VM-A", N(1));
        cluster.Send(parent, new HostApplied(added, placed, View(added.Apply(placed), 1)));
        RunUntilIdle();
        return (parent, cluster);
    }

    [Fact]
    public void HostApplied_VmPlacedOnThisHost_StartsItInAChildAndPassesItsReportOn()
    {
        var (_, cluster) = StartVmHere();

        Assert.Contains("start VM-A", _hypervisor.Calls);
        var running = Assert.IsType<VmRunning>(cluster.FishForMessage<VmReport>(r => r.Event is VmRunning).Event);
        Assert.Equal(("VM-A", N(1)), (running.Name, running.Node));
    }

    [Fact]
    public void StopVmsForDemotion_StoppingPolicy_StopsTheVmThenSaysTheDemotionsVmsAreStopped()
    {
        var (parent, cluster) = StartVmHere();
        cluster.FishForMessage<VmReport>(r => r.Event is VmRunning);
        var running = ThreeUp().Apply(new VmAdded(new VmSpec("VM-A", "process", "/bin/true"))).Apply(new VmPlaced("VM-A", N(1))).Apply(new VmRunning("VM-A", N(1)));

        cluster.Send(parent, new StopVmsForDemotion(4, NoQuorumPolicy.Stop, "lost", View(running, 2, primary: false)));
        RunUntilIdle();

        Assert.Contains("shutdown VM-A", _hypervisor.Calls);
        Assert.IsType<VmStopped>(cluster.FishForMessage<VmReport>(r => r.Event is VmStopped).Event);
        Assert.Equal(new VmsStoppedOnDemotion(4), cluster.ExpectMsg<VmsStoppedOnDemotion>());
    }

    [Fact]
    public void StopVmsForDemotion_FreezePolicy_LeavesTheVmRunningAndSaysSoAtOnce()
    {
        var (parent, cluster) = StartVmHere();
        cluster.FishForMessage<VmReport>(r => r.Event is VmRunning);

        cluster.Send(parent, new StopVmsForDemotion(5, NoQuorumPolicy.Freeze, "lost", View(ThreeUp(), 2, primary: false)));
        RunUntilIdle();

        Assert.Equal(new VmsStoppedOnDemotion(5), cluster.ExpectMsg<VmsStoppedOnDemotion>());
        Assert.DoesNotContain("shutdown VM-A", _hypervisor.Calls);
    }

    [Fact]
    public void TakeAndRelease_AskedInOrder_ReachTheAdapterInThatOrder()
    {
        var (parent, cluster) = Start();

        cluster.Send(parent, new TakeIp(A, Probe: false, Attempt: 0));
        cluster.Send(parent, new ReleaseIps([A]));
        cluster.Send(parent, new TakeIp(B, Probe: true, Attempt: 0));
        RunUntilIdle();

        Assert.Equal(["take 10.0.0.11 probe=False", "release 10.0.0.11", "take 10.0.0.12 probe=True"], _addresses.Calls);
        cluster.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void TakeIp_AdapterFails_ReportsTheFailedAttemptAndWhy()
    {
        var (parent, cluster) = Start();
        _addresses.FailTakes = "10.0.0.11 answers from 02:00:00:00:00:09";

        cluster.Send(parent, new TakeIp(A, Probe: true, Attempt: 2));
        RunUntilIdle();

        Assert.Equal(new IpTakeFailed("10.0.0.11", 2, "10.0.0.11 answers from 02:00:00:00:00:09"), cluster.ExpectMsg<IpTakeFailed>());
    }

    [Fact]
    public void ReleaseIps_WithAReport_AnswersOnlyOnceEveryReleaseHasEnded()
    {
        var (parent, cluster) = Start();
        var gate = _addresses.HoldReleases();
        var report = new object();

        cluster.Send(parent, new ReleaseIps([A, B], report));
        RunUntilIdle();
        Assert.Equal(["release 10.0.0.11", "release 10.0.0.12"], _addresses.Calls);
        cluster.ExpectNoMsg(TimeSpan.Zero);

        gate.SetResult();
        RunUntilIdle();
        var released = cluster.ExpectMsg<IpsReleased>();
        Assert.Same(report, released.Report);
        Assert.Null(released.Failure);
    }

    [Fact]
    public void ReleaseIps_OneFails_AnswersWithTheFailure()
    {
        var (parent, cluster) = Start();
        _addresses.FailRelease = B.Ip;

        cluster.Send(parent, new ReleaseIps([A, B], "hand-over"));
        RunUntilIdle();

        var released = cluster.ExpectMsg<IpsReleased>();
        Assert.Equal("hand-over", released.Report);
        Assert.Equal("ip addr del 10.0.0.12 failed", released.Failure);
    }

    [Fact]
    public void Heuristics_On_ProbesAtStartAndEveryIntervalAndTellsTheParent()
    {
        var cluster = CreateTestProbe("cluster");
        var reach = new CountingReachability();
        var vms = new VmServices(new Dictionary<string, IHypervisor>());
        ActorOf(Haven.Actors.Runtime.Props.Create(() => new ParentOf(HostActor.Props(Nodes[0], _addresses, vms, reach, TimeSpan.FromSeconds(5)), cluster.Ref)), "cluster-actor");
        RunUntilIdle();
        Assert.Equal(new HeuristicsProbed(false), cluster.ExpectMsg<HeuristicsProbed>());

        reach.Reachable = true;
        Advance(TimeSpan.FromSeconds(5));
        RunUntilIdle();

        Assert.Equal(new HeuristicsProbed(true), cluster.ExpectMsg<HeuristicsProbed>());
        Assert.Equal(2, reach.Calls);
    }

    private sealed class CountingReachability : IReachability
    {
        public bool Reachable { get; set; }
        public int Calls { get; private set; }

        public Task<bool> AllReachableAsync(CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(Reachable);
        }
    }

    /// <summary>Creates the host actor as its child; what the child sends goes to the probe, what anyone else sends goes to the child.</summary>
    private sealed class ParentOf : Actor
    {
        public ParentOf(Props child, IActorRef probe)
        {
            var host = Context.ActorOf(child, "host");
            ReceiveAny(m =>
            {
                if (Sender.Equals(host)) probe.Tell(m, Self);
                else host.Tell(m, Self);
            });
        }
    }

    /// <summary>Records every call; takes can fail, one release can fail, releases can be held until a gate opens.</summary>
    private sealed class GatedAddresses : IAddressManager
    {
        private TaskCompletionSource? _gate;

        public List<string> Calls { get; } = [];
        public string? FailTakes { get; set; }
        public string? FailRelease { get; set; }

        public TaskCompletionSource HoldReleases() => _gate = new TaskCompletionSource(TaskCreationOptions.None);

        public Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken)
        {
            Calls.Add($"take {address.Ip} probe={probe}");
            return FailTakes is { } reason ? Task.FromException(new InvalidOperationException(reason)) : Task.CompletedTask;
        }

        public Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken)
        {
            Calls.Add($"release {address.Ip}");
            if (address.Ip == FailRelease) return Task.FromException(new InvalidOperationException($"ip addr del {address.Ip} failed"));
            return _gate?.Task ?? Task.CompletedTask;
        }
    }
}
