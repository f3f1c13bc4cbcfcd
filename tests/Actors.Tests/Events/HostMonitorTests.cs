using Haven.Actors.Cluster;
using Haven.Actors.Events;

namespace Haven.Actors.Tests.Events;

public sealed class HostMonitorTests
{
    private static readonly MonitorOutcome Bad = new(false, "interface eth1 has no link (carrier 0)");

    private static List<ReportHealth?> Observe(int healthyAfter, params MonitorOutcome[] rounds)
    {
        var tracker = HealthTracker.Initial;
        var reports = new List<ReportHealth?>();
        foreach (var round in rounds)
        {
            (tracker, var report) = tracker.Observe(round, healthyAfter);
            reports.Add(report);
        }
        return reports;
    }

    [Fact]
    public void Observe_TwoGoodRoundsFromStart_HealthyReportedOnceAtTheSecond()
    {
        var reports = Observe(2, MonitorOutcome.Good, MonitorOutcome.Good, MonitorOutcome.Good);

        Assert.Equal([null, new ReportHealth(true, ""), null], reports);
    }

    [Fact]
    public void Observe_FailureAfterHealthy_UnhealthyAtOnceWithTheReason()
    {
        var reports = Observe(2, MonitorOutcome.Good, MonitorOutcome.Good, Bad, Bad);

        Assert.Equal([null, new ReportHealth(true, ""), new ReportHealth(false, Bad.Reason), null], reports);
    }

    [Fact]
    public void Observe_GoodRoundInterruptedByAFailure_CountStartsAgain()
    {
        var reports = Observe(2, Bad, MonitorOutcome.Good, Bad, MonitorOutcome.Good, MonitorOutcome.Good);

        Assert.Equal([new ReportHealth(false, Bad.Reason), null, null, null, new ReportHealth(true, "")], reports);
    }

    [Fact]
    public void Observe_HealthyAfterOne_FirstGoodRoundReports()
    {
        Assert.Equal([new ReportHealth(true, "")], Observe(1, MonitorOutcome.Good));
    }

    [Fact]
    public void Outcome_FailedScriptAndLinkDown_NamesBoth()
    {
        var monitor = new EventRunResult(new ScriptEvent.Monitor(), [new ScriptResult("20.nfs", 3, false, TimeSpan.Zero, "")], [], false);

        var outcome = MonitorOutcome.From(monitor, [("eth0", new LinkStatus(true, "carrier 1")), ("eth1", new LinkStatus(false, "carrier 0"))]);

        Assert.False(outcome.Healthy);
        Assert.Equal("interface eth1 has no link (carrier 0); monitor script 20.nfs exited with 3", outcome.Reason);
    }

    [Fact]
    public void Outcome_RefusedDirectoryOrTimeout_IsAFailure()
    {
        var refused = new EventRunResult(new ScriptEvent.Monitor(), [], ["event scripts a and b share the number 10"], false);
        var timedOut = new EventRunResult(new ScriptEvent.Monitor(), [new ScriptResult("10.x", -1, true, TimeSpan.Zero, "")], [], false);

        Assert.Equal("monitor event not run: event scripts a and b share the number 10", MonitorOutcome.From(refused, []).Reason);
        Assert.Equal("monitor script 10.x timed out", MonitorOutcome.From(timedOut, []).Reason);
        Assert.True(MonitorOutcome.From(new EventRunResult(new ScriptEvent.Monitor(), [], [], false), []).Healthy);
    }

    [Fact]
    public void Options_BadValues_RefusedNamingTheSetting()
    {
        Assert.Contains("interval", Assert.Throws<ArgumentOutOfRangeException>(() => MonitorOptions.Create(TimeSpan.Zero, 2, [])).Message);
        Assert.Contains("healthy-after", Assert.Throws<ArgumentOutOfRangeException>(() => MonitorOptions.Create(TimeSpan.FromSeconds(1), 0, [])).Message);
        Assert.Equal(["eth0", "eth1"], MonitorOptions.Create(TimeSpan.FromSeconds(1), 2, ["eth1", "eth0", "eth1"]).Interfaces.ToArray());
    }
}
