using Haven.Actors.Cluster;
using Haven.Actors.Hosts;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Hosts;

/// <summary>
/// This host's effects under a parent that hands a probe what the child sends: takes and releases reach the address
/// adapter in the order asked, a failed take is reported with its attempt, and a release asked with a report is
/// answered only once every address is off (with the failure, when one failed).
/// </summary>
public sealed class HostActorTests : HavenTestKit
{
    private static readonly PublicAddress A = new("10.0.0.11", 24, "eth0");
    private static readonly PublicAddress B = new("10.0.0.12", 24, "eth0");
    private readonly GatedAddresses _addresses = new();

    private (IActorRef Parent, TestProbe Cluster) Start()
    {
        var cluster = CreateTestProbe("cluster");
        return (ActorOf(Haven.Actors.Runtime.Props.Create(() => new ParentOf(HostActor.Props(_addresses), cluster.Ref)), "cluster-actor"), cluster);
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
