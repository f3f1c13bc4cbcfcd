using System.Globalization;
using System.Runtime.CompilerServices;
using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

/// <summary>Replays the pinned seeds of regression-seeds.txt against the real ClusterActor.</summary>
public sealed class SimulationRegressionTests
{
    /// <summary>One pinned line; <paramref name="StableAfterMs"/> 0: the default stable-after.</summary>
    /// <remarks>A line without <c>scheduler=</c> was found under FIFO, before the loop was the default, and replays under FIFO.</remarks>
    public sealed record PinnedSeed(int Nodes, int Seed, int Steps, bool Known, string Comment, SimulationFaults Faults = SimulationFaults.Classic,
        int StableAfterMs = 0, SimulationScheduler Scheduler = SimulationScheduler.Fifo)
    {
        public override string ToString() =>
            $"{Nodes} {Seed} {Steps}{(Faults == SimulationFaults.Classic ? "" : " faults=" + SimulationFaultNames.Format(Faults))}"
            + $"{(StableAfterMs == 0 ? "" : $" stable-after={StableAfterMs}")}{(Scheduler == SimulationScheduler.Fifo ? "" : " scheduler=loop")}{(Known ? " known" : "")}";
    }

    public static TheoryData<PinnedSeed> Pinned()
    {
        var data = new TheoryData<PinnedSeed>();
        foreach (var seed in Parse(File.ReadAllLines(SeedFile()))) data.Add(seed);
        return data;
    }

    /// <summary>regression-seeds.txt beside this source file (read from the source tree, no copy step).</summary>
    private static string SeedFile([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "regression-seeds.txt");

    internal static IEnumerable<PinnedSeed> Parse(IEnumerable<string> lines)
    {
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var text = (hash < 0 ? raw : raw[..hash]).Trim();
            if (text.Length == 0) continue;
            var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            var faults = SimulationFaults.Classic;
            var bad = false;
            if (parts.Count > 3 && parts[3].StartsWith("faults=", StringComparison.Ordinal))
            {
                bad = !SimulationFaultNames.TryParse(parts[3]["faults=".Length..], out faults, out _);
                parts.RemoveAt(3);
            }
            var stableAfter = 0;
            if (parts.Count > 3 && parts[3].StartsWith("stable-after=", StringComparison.Ordinal))
            {
                bad |= !int.TryParse(parts[3]["stable-after=".Length..], CultureInfo.InvariantCulture, out stableAfter) || stableAfter <= 0;
                parts.RemoveAt(3);
            }
            var scheduler = SimulationScheduler.Fifo;
            if (parts.Count > 3 && parts[3].StartsWith("scheduler=", StringComparison.Ordinal))
            {
                bad |= !SimulationSchedulerNames.TryParse(parts[3]["scheduler=".Length..], out scheduler);
                parts.RemoveAt(3);
            }
            if (bad || parts.Count is < 3 or > 4 || (parts.Count == 4 && parts[3] != "known")
                || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var nodes)
                || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var seed)
                || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var steps))
                throw new FormatException($"regression-seeds.txt line {number}: expected `nodes seed steps [faults=KINDS] [stable-after=MS] [scheduler=fifo|loop] [known] [# comment]`, got '{raw}'");
            yield return new PinnedSeed(nodes, seed, steps, parts.Count == 4, hash < 0 ? "" : raw[(hash + 1)..].Trim(), faults, stableAfter, scheduler);
        }
    }

    [Theory]
    [MemberData(nameof(Pinned))]
    public void PinnedSeed_Replays_AsRecorded(PinnedSeed pinned)
    {
        var result = ClusterSimulation.Run(new SimulationOptions
        {
            Nodes = pinned.Nodes, Seed = pinned.Seed, Steps = pinned.Steps, Factory = ClusterActor.Props, Faults = pinned.Faults,
            StableAfter = pinned.StableAfterMs == 0 ? SimulationOptions.DefaultStableAfter : TimeSpan.FromMilliseconds(pinned.StableAfterMs),
            Scheduler = pinned.Scheduler,
        });

        if (pinned.Known)
            Assert.False(result.Passed, $"{result.ReplayCommand} passes now ({pinned.Comment}): remove `known` from its line in regression-seeds.txt");
        else
            Assert.True(result.Passed, result.Report(maxTraceLines: 60));
    }

    [Fact]
    public void Parse_BadLine_NamesLine()
    {
        var e = Assert.Throws<FormatException>(() => Parse(["# ok", "3 1", "3 1 10"]).ToList());

        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void Parse_LineWithFaults_IsRead()
    {
        var seed = Parse(["3 833817770 364 faults=partitions,one-way,commands # a downed host restarted its VMs"]).Single();

        Assert.Equal(SimulationFaults.Partitions | SimulationFaults.OneWay | SimulationFaults.Commands, seed.Faults);
        Assert.False(seed.Known);
    }

    [Fact]
    public void Parse_LineWithStableAfter_IsRead()
    {
        var seed = Parse(["3 1231610135 584 faults=crashes,hangs stable-after=250 # stale VmStopped"]).Single();

        Assert.Equal(250, seed.StableAfterMs);
        Assert.Equal("3 1231610135 584 faults=crashes,hangs stable-after=250", seed.ToString());
    }

    [Fact]
    public void Parse_LineWithScheduler_IsRead_AndALineWithoutIsFifo()
    {
        var seeds = Parse(["4 20000001 300 stable-after=500 scheduler=loop # found on the loop", "3 13 150 # found under FIFO"]).ToList();

        Assert.Equal(SimulationScheduler.Loop, seeds[0].Scheduler);
        Assert.Equal("4 20000001 300 stable-after=500 scheduler=loop", seeds[0].ToString());
        Assert.Equal(SimulationScheduler.Fifo, seeds[1].Scheduler);
        Assert.Contains("line 1", Assert.Throws<FormatException>(() => Parse(["3 1 10 scheduler=lifo"]).ToList()).Message);
    }

    [Theory]
    [InlineData("3 1 10 stable-after=0")]
    [InlineData("3 1 10 stable-after=soon")]
    public void Parse_BadStableAfter_NamesLine(string line)
    {
        var e = Assert.Throws<FormatException>(() => Parse([line]).ToList());

        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void Parse_UnknownFaultKind_NamesLine()
    {
        var e = Assert.Throws<FormatException>(() => Parse(["3 1 10 faults=partitions,gremlins"]).ToList());

        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void Parse_LineWithMarkerAndComment_IsRead()
    {
        var seed = Parse(["2 6 150   known  # split brain"]).Single();

        Assert.Equal(new PinnedSeed(2, 6, 150, true, "split brain"), seed);
    }
}
