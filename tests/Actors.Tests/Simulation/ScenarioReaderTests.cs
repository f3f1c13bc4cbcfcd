using Haven.Actors.Cluster;
using Haven.Actors.Simulation;
using Haven.Actors.SplitBrain;
using Haven.Actors.Vms;

namespace Haven.Actors.Tests.Simulation;

public sealed class ScenarioReaderTests
{
    private static readonly ScenarioCluster Three = new() { Nodes = 3 };

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5_000)]
    [InlineData("2.5s", 2_500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("0s", 0)]
    public void Duration_Forms_AreMilliseconds(string text, int ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), ScenarioReader.Duration(text, "f:1", "the time"));

    [Theory]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("5h")]
    [InlineData("-5s")]
    [InlineData("")]
    public void Duration_NotADuration_NamesWhere(string text)
    {
        var e = Assert.Throws<ScenarioFormatException>(() => ScenarioReader.Duration(text, "f:7", "the time"));

        Assert.StartsWith($"f:7: the time '{text}' is not a duration", e.Message);
    }

    [Fact]
    public void Cluster_AllKeys_AreRead()
    {
        var c = ScenarioReader.ReadCluster(
            "# a comment\nnodes 5\naddresses-per-node 2\nvms-per-node 0\nseed 7\nstable-after 500ms\nshutdown-lock on\nshutdown-lock-limit 20s\nno-quorum-policy freeze\nend 2m # trailing\n",
            "cluster");

        Assert.Equal(new ScenarioCluster
        {
            Nodes = 5, AddressesPerNode = 2, VmsPerNode = 0, Seed = 7, StableAfter = TimeSpan.FromMilliseconds(500), ShutdownLock = true,
            ShutdownLockLimit = TimeSpan.FromSeconds(20), NoQuorumPolicy = NoQuorumPolicy.Freeze, End = TimeSpan.FromMinutes(2),
        }, c);
    }

    [Theory]
    [InlineData("nodes 3\nnodes 4\n", "cluster:2: nodes is set twice")]
    [InlineData("nodes\n", "cluster:1: expected 'KEY VALUE', got 'nodes'")]
    [InlineData("shutdown-lock yes\n", "cluster:1: shutdown-lock must be on or off, got 'yes'")]
    [InlineData("no-quorum-policy panic\n", "cluster:1: no-quorum-policy must be stop, freeze, ignore, demote or fence, got 'panic'")]
    [InlineData("end 0s\n", "cluster:1: end must be more than 0, got '0s'")]
    public void Cluster_BadLine_NamesFileAndLine(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ScenarioFormatException>(() => ScenarioReader.ReadCluster(text, "cluster")).Message);

    [Fact]
    public void Commands_EachForm_ReadsToItsMessage()
    {
        var commands = ScenarioReader.ReadCommands("""
            at 1s partition n3 n1 | n2
            at 2s one-way n1 -> n2 for 3s
            at 3s crash n2
            at 4s heuristics n1 unreachable
            at 5s haven node standby n1
            at 6s on n2 haven cluster leave
            at 7s haven vm migrate VM-01 n3
            at 8s haven ip move 10.0.0.11 n2
            at 9s haven config set haven.ha.enabled off
            at 10s haven maintenance on --node n3
            at 11s expect converged
            """, "cmdlist", Three);

        Assert.Equal(11, commands.Length);
        var partition = Assert.IsType<PartitionCommand>(commands[0]);
        Assert.Equal([[1, 3], [2]], partition.Sides.Select(s => s.ToArray()).ToArray());
        Assert.Equal(new OneWayCommand(TimeSpan.FromSeconds(2), "one-way n1 -> n2 for 3s", "cmdlist:2", 1, 2, TimeSpan.FromSeconds(3)), commands[1]);
        Assert.Equal("crash", Assert.IsType<NodeCommand>(commands[2]).Action);
        Assert.Equal("heuristics-unreachable", Assert.IsType<NodeCommand>(commands[3]).Action);
        Assert.Equal(new SetNodeMode("n1", NodeMode.Standby), Assert.IsType<OperatorCommand>(commands[4]).Message);
        Assert.Equal((2, (object)LeaveCluster.Instance), (((OperatorCommand)commands[5]).Via, ((OperatorCommand)commands[5]).Message));
        Assert.Equal(new MigrateVm("VM-01", "n3"), ((OperatorCommand)commands[6]).Message);
        Assert.Equal(new MoveAddress("10.0.0.11", "n2"), ((OperatorCommand)commands[7]).Message);
        Assert.Equal(new SetSetting("haven.ha.enabled", "off"), ((OperatorCommand)commands[8]).Message);
        Assert.Equal(new SetNodeMode("n3", NodeMode.MaintenanceOn), ((OperatorCommand)commands[9]).Message);
        Assert.Equal("expect-converged", Assert.IsType<NodeCommand>(commands[10]).Action);
    }

    [Theory]
    [InlineData("at 5s partition n1 n2 n3", "cmdlist:1: 'partition n1 n2 n3': expected 'partition NODE… | NODE… [| NODE…]', every side with a node")]
    [InlineData("at 5s partition n1 | n2 n1 | n3", "cmdlist:1: 'partition n1 | n2 n1 | n3': a node is on two sides")]
    [InlineData("at 5s one-way n1 -> n1 for 2s", "cmdlist:1: 'one-way n1 -> n1 for 2s': a node cannot lose its own messages")]
    [InlineData("at 5s one-way n1 n2", "cmdlist:1: 'one-way n1 n2': expected 'one-way NODE -> NODE for DURATION'")]
    [InlineData("at 5s explode n1", "cmdlist:1: unknown command 'explode n1'")]
    [InlineData("at 90s heal", "cmdlist:1: 90s is not before the end of the run (60s, 'end' in cluster)")]
    [InlineData("crash n1", "cmdlist:1: expected 'at TIME COMMAND', got 'crash n1'")]
    [InlineData("at 5s crash", "cmdlist:1: 'crash': expected 'crash NODE'")]
    [InlineData("at 5s crash n1 n2", "cmdlist:1: 'crash n1 n2': expected 'crash NODE'")]
    [InlineData("at 5s heuristics n1 gone", "cmdlist:1: 'heuristics n1 gone': expected 'heuristics NODE reachable|unreachable'")]
    [InlineData("at 5s on n9 haven cluster leave", "cmdlist:1: 'n9' is not a node of this cluster (n1..n3)")]
    public void Commands_BadLine_NamesFileAndLine(string text, string message) =>
        Assert.StartsWith(message, Assert.Throws<ScenarioFormatException>(() => ScenarioReader.ReadCommands(text, "cmdlist", Three)).Message);

    [Fact]
    public void Commands_OutOfTimeOrder_AreRefused()
    {
        var e = Assert.Throws<ScenarioFormatException>(() => ScenarioReader.ReadCommands("at 5s heal\n# gap\nat 4s heal\n", "cmdlist", Three));

        Assert.Equal("cmdlist:3: 4s is before the line above (5s): keep the lines in time order", e.Message);
    }

    [Fact]
    public void Commands_VmVerbs_MapAsTheCliDoes()
    {
        var commands = ScenarioReader.ReadCommands("at 1s haven vm stop VM-01\nat 2s haven vm enable VM-01\nat 3s haven vm disable VM-01\n", "cmdlist", Three);

        Assert.Equal([new SetVmDesired("VM-01", VmDesiredState.Stopped), new SetVmDesired("VM-01", VmDesiredState.Started), new SetVmDesired("VM-01", VmDesiredState.Disabled)],
            commands.Select(c => ((OperatorCommand)c).Message));
    }
}
