using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

/// <summary>The harness itself, driven by fake hosts (the real ClusterActor is tested in ClusterSimulationTests).</summary>
public sealed class ClusterSimulationHarnessTests
{
    private static SimulationOptions Options(int nodes, int seed, int steps, FakeBehavior behavior, bool stopAtFirst = true) => new()
    {
        Nodes = nodes,
        Seed = seed,
        Steps = steps,
        Factory = FakeClusterHost.Factory(behavior),
        ConvergenceTime = TimeSpan.FromSeconds(10),
        StopAtFirstViolation = stopAtFirst,
    };

    [Theory]
    [InlineData(3, 11)]
    [InlineData(5, 12)]
    [InlineData(7, 13)]
    public void Run_SameSeedTwice_GivesIdenticalTraceAndViolations(int nodes, int seed)
    {
        var options = Options(nodes, seed, 300, FakeBehavior.GreedyPrimary, stopAtFirst: false);

        var first = ClusterSimulation.Run(options);
        var second = ClusterSimulation.Run(options);

        Assert.True(first.Trace.Length > 300);
        Assert.Equal(first.Trace.Select(t => t.ToString()), second.Trace.Select(t => t.ToString()));
        Assert.Equal(first.Violations.Select(v => v.ToString()), second.Violations.Select(v => v.ToString()));
        Assert.Equal(first.MessagesDelivered, second.MessagesDelivered);
        Assert.Equal(first.VirtualTime, second.VirtualTime);
    }

    [Fact]
    public void Run_DifferentSeeds_GiveDifferentTraces()
    {
        var a = ClusterSimulation.Run(Options(4, 1, 100, FakeBehavior.GreedyPrimary, stopAtFirst: false));
        var b = ClusterSimulation.Run(Options(4, 2, 100, FakeBehavior.GreedyPrimary, stopAtFirst: false));

        Assert.NotEqual(a.Trace.Select(t => t.Action), b.Trace.Select(t => t.Action));
    }

    [Fact]
    public void Run_HostThatTakesAddressesWithoutFencing_IsCaughtWithReplayCommand()
    {
        var failing = Enumerable.Range(1, 40)
            .Select(seed => ClusterSimulation.Run(Options(3, seed, 200, FakeBehavior.GreedyPrimary)))
            .Where(r => !r.Passed)
            .ToList();

        Assert.NotEmpty(failing);
        Assert.Contains(failing, r => r.Violations.Any(v => v.Invariant is InvariantNames.AddressHandover or InvariantNames.SinglePrimary));
        var report = failing[0].Report();
        Assert.Contains($"replay: haven simulate --nodes 3 --seed {failing[0].Options.Seed} --steps 200", report);
        Assert.Contains(failing[0].Violations[0].ToString(), report);
        // the run stops at the first violating step: the trace ends there
        Assert.Equal(failing[0].Violations[0].Step, failing[0].Trace[^1].Step);
    }

    [Fact]
    public void Run_HostThatNeverBecomesPrimary_FailsConvergence()
    {
        var result = ClusterSimulation.Run(Options(3, 5, 20, FakeBehavior.Quiet));

        Assert.False(result.Converged);
        Assert.Contains(result.Violations, v => v.Invariant == InvariantNames.Convergence && v.Detail.Contains("not every host is primary"));
        Assert.Contains(result.Trace, t => t.Action.StartsWith("converge: heal", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_FaultsInjected_AreTracedAndCrashedHostsBootAgain()
    {
        var result = ClusterSimulation.Run(Options(5, 3, 400, FakeBehavior.Quiet));
        var actions = result.Trace.Select(t => t.Action).ToList();

        Assert.True(result.FaultsInjected > 20, $"only {result.FaultsInjected} faults");
        Assert.Contains(actions, a => a.StartsWith("partition ", StringComparison.Ordinal));
        Assert.Contains(actions, a => a.StartsWith("deliver: n", StringComparison.Ordinal) && a.Contains("hello from"));
        Assert.Contains(actions, a => a.Contains("view ["));
        Assert.Contains(actions, a => a.StartsWith("crash n", StringComparison.Ordinal) || a.StartsWith("kill n", StringComparison.Ordinal));
        Assert.Contains(actions, a => a.Contains("starts (incarnation 2)"));
    }

    [Theory]
    [InlineData(1, 10, "nodes must be between 2 and 7, got 1")]
    [InlineData(8, 10, "nodes must be between 2 and 7, got 8")]
    [InlineData(3, 0, "steps must be at least 1, got 0")]
    public void Run_InvalidOptions_ThrowsNamingTheProblem(int nodes, int steps, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ClusterSimulation.Run(Options(nodes, 1, steps, FakeBehavior.Quiet)));

        Assert.Contains(message, e.Message);
    }
    [Fact]
    public void Run_StreamPastTheRunawayBound_FailsAtOnceNamingTheHostAndTheBound()
    {
        var options = new SimulationOptions { Nodes = 5, Seed = 1, Steps = 100, Factory = Haven.Actors.Cluster.ClusterActor.Props };

        var guarded = ClusterSimulation.Run(options with { MaxStreamEvents = 10 });

        var violation = Assert.Single(guarded.Violations);
        Assert.Equal(InvariantNames.HostFailure, violation.Invariant);
        Assert.Contains("runaway:", violation.Detail);
        Assert.Contains("(bound 10)", violation.Detail);
        Assert.EndsWith("(aborted: runaway stream)", guarded.Trace[^1].Action);
        Assert.True(ClusterSimulation.Run(options).Passed); // the default bound is far above what this run writes
    }

    [Fact]
    public void Run_StreamBoundBelowOne_IsRefused() =>
        Assert.Contains("the stream bound must be at least 1, got 0",
            Assert.Throws<ArgumentException>(() => ClusterSimulation.Run(Options(3, 1, 10, FakeBehavior.Quiet) with { MaxStreamEvents = 0 })).Message);
}
