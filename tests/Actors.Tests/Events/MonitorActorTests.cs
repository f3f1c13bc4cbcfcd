using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Events;

public sealed class MonitorActorTests : HavenTestKit
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private sealed class FakeLinks : ILinkState
    {
        public Dictionary<string, bool> Up { get; } = [];

        public LinkStatus Check(string interfaceName) =>
            Up.TryGetValue(interfaceName, out var up) ? new LinkStatus(up, up ? "carrier 1" : "carrier 0") : new LinkStatus(false, "no such interface");
    }

    private bool _scriptFails;
    private readonly FakeLinks _links = new() { Up = { ["eth0"] = true, ["eth1"] = true } };
    private readonly RecordingRunner _runner;
    private readonly TestProbe _cluster;

    public MonitorActorTests()
    {
        _runner = new RecordingRunner { Fails = e => e is ScriptEvent.Monitor && _scriptFails };
        _cluster = CreateTestProbe("cluster");
        ActorOf(MonitorActor.Props(MonitorOptions.Create(Interval, 2, ["eth0", "eth1"]), _runner, _links, _cluster.Ref), "monitor");
        RunUntilIdle();
    }

    [Fact]
    public void Monitor_BeforeTheFirstInterval_RunsNothing()
    {
        Advance(Interval - TimeSpan.FromSeconds(1));

        Assert.Empty(_runner.Lines);
        _cluster.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Monitor_TwoGoodIntervals_ReportsHealthyOnce()
    {
        Advance(Interval);
        Assert.Equal(["monitor"], _runner.Lines);
        _cluster.ExpectNoMsg(TimeSpan.Zero);

        Advance(Interval);
        Assert.Equal(new ReportHealth(true, ""), _cluster.ExpectMsg<ReportHealth>(timeout: TimeSpan.Zero));

        Advance(Interval * 3);
        Assert.Equal(5, _runner.Lines.Count);
        _cluster.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Monitor_LinkLost_UnhealthyAtTheNextIntervalThenHealthyAfterTwoGoodOnes()
    {
        Advance(Interval * 2);
        _cluster.ExpectMsg<ReportHealth>(r => r.Healthy, TimeSpan.Zero);

        _links.Up["eth1"] = false;
        Advance(Interval);
        Assert.Equal(new ReportHealth(false, "interface eth1 has no link (carrier 0)"), _cluster.ExpectMsg<ReportHealth>(timeout: TimeSpan.Zero));

        _links.Up["eth1"] = true;
        Advance(Interval);
        _cluster.ExpectNoMsg(TimeSpan.Zero);
        Advance(Interval);
        Assert.Equal(new ReportHealth(true, ""), _cluster.ExpectMsg<ReportHealth>(timeout: TimeSpan.Zero));
    }

    [Fact]
    public void Monitor_ScriptFails_UnhealthyNamingTheScript()
    {
        _scriptFails = true;
        Advance(Interval);

        Assert.Equal(new ReportHealth(false, "monitor script 10.test exited with 1"), _cluster.ExpectMsg<ReportHealth>(timeout: TimeSpan.Zero));
    }

    [Fact]
    public void Monitor_WaitingForStart_RunsNothingUntilStartMonitoringThenEveryInterval()
    {
        var runner = new RecordingRunner();
        var monitor = ActorOf(MonitorActor.Props(MonitorOptions.Create(Interval, 2, []), runner, _links, CreateTestProbe("cluster3").Ref, waitForStart: true), "waiting");
        Advance(Interval * 4);
        Assert.Empty(runner.Lines);

        monitor.Tell(StartMonitoring.Instance, null);
        monitor.Tell(StartMonitoring.Instance, null); // a second start changes nothing
        RunUntilIdle();
        Advance(Interval);

        Assert.Equal(["monitor"], runner.Lines);
        Advance(Interval);
        Assert.Equal(2, runner.Lines.Count);
    }

    [Fact]
    public void Monitor_SlowRun_NextRoundTimedFromItsEnd()
    {
        var held = new RecordingRunner { Holds = e => e is ScriptEvent.Monitor };
        var cluster = CreateTestProbe("cluster2");
        var monitor = ActorOf(MonitorActor.Props(MonitorOptions.Create(Interval, 2, []), held, _links, cluster.Ref), "slow");
        Advance(Interval);
        Advance(Interval * 4); // the round is still running: no second one starts

        Assert.Single(held.Lines);
        held.Release();
        RunUntilIdle();
        var status = AwaitResult(monitor.Ask<MonitorStatus>(GetMonitorStatus.Instance, TimeSpan.FromSeconds(1)));
        Assert.Equal(1, status.Rounds);
        Advance(Interval);
        Assert.Equal(2, held.Lines.Count);
    }
}
