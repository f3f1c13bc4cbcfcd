using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

/// <summary>The scenario runner with stand-in hosts: an unsafe cluster fails its scenario, an unconverged one fails `expect converged`.</summary>
public sealed class ScenarioRunTests
{
    private static Scenario Of(string commands, string cluster = "nodes 3\nend 40s\n") =>
        ScenarioReader.Read("t", cluster, "cluster", commands, "cmdlist");

    [Fact]
    public void RunScenario_HostThatTakesAddressesWithoutFencing_FailsAtTheViolation()
    {
        var result = ClusterSimulation.RunScenario(Of("at 10s kill n1\nat 30s heal\n"), FakeClusterHost.Factory(FakeBehavior.GreedyPrimary));

        Assert.False(result.Passed);
        Assert.NotEmpty(result.Violations);
        // the violation is the trace's last line: the run stops there, the later command never runs
        Assert.StartsWith("!", result.Trace[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.Contains(result.Trace, l => l.EndsWith("> kill n1", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Trace, l => l.EndsWith("> heal", StringComparison.Ordinal));
    }

    [Fact]
    public void RunScenario_ClusterThatNeverFormsAPrimary_FailsExpectConverged()
    {
        var result = ClusterSimulation.RunScenario(Of("at 20s expect converged\n"), FakeClusterHost.Factory(FakeBehavior.Quiet));

        Assert.False(result.Passed);
        Assert.Empty(result.Violations);
        Assert.Contains(result.Errors, e => e.StartsWith("cmdlist:1: expect converged: ", StringComparison.Ordinal));
        Assert.Contains(result.Trace, l => l.Contains("! not converged: ", StringComparison.Ordinal));
        Assert.Contains(result.Trace, l => l.EndsWith("# no primary partition", StringComparison.Ordinal));
    }

    [Fact]
    public void RunScenario_OperatorCommandWithNoPrimary_IsAnErrorNamingTheLine()
    {
        var result = ClusterSimulation.RunScenario(Of("at 5s haven node standby n1\n"), FakeClusterHost.Factory(FakeBehavior.Quiet));

        Assert.Equal("cmdlist:1: haven node standby n1: no host is in the primary partition to take it (name one with 'on NODE')", Assert.Single(result.Errors));
    }
}
