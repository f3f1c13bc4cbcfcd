using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>SetSetting / ResetSetting through the ClusterActor: accepted on a primary member, replicated to every member.</summary>
public sealed class ClusterSettingsCommandTests : HavenTestKit
{
    private const string Changed = "cluster.setting-changed.v1";

    private TestCluster Formed(int nodes = 3, Func<ClusterOptions, ClusterOptions>? configure = null)
    {
        var cluster = new TestCluster(this, nodes, configure: configure);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        return cluster;
    }

    private static T Ask<T>(TestCluster cluster, TestCluster.Host host, object message)
    {
        var answer = host.Actor!.Ask<T>(message, TimeSpan.FromSeconds(30));
        cluster.Run(TimeSpan.FromSeconds(2));
        Assert.True(answer.IsCompletedSuccessfully, answer.Exception?.ToString() ?? "no answer yet");
        return answer.Result;
    }

    [Fact]
    public void SetSetting_OnANonDcMember_AppliedOnEveryMemberBeforeTheReply()
    {
        var cluster = Formed();
        var result = Ask<OperatorCommandResult>(cluster, cluster[2], new SetSetting("haven.heuristics.attempts", "4"));

        Assert.True(result.Accepted, result.Message);
        Assert.StartsWith("haven.heuristics.attempts = 4 cluster-wide; haven.heuristics.attempts is read when the daemon starts: it applies on each host at its next start", result.Message);
        Assert.All(cluster.Hosts, h => Assert.Equal("4", h.View!.State.Settings["haven.heuristics.attempts"]));
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
        Assert.All(cluster.Hosts, h => Assert.Single(h.StreamManifests(), Changed));
    }

    [Fact]
    public void SetSetting_ValueNormalized_SameTextEverywhere()
    {
        var cluster = Formed();
        Assert.True(Ask<OperatorCommandResult>(cluster, cluster[1], new SetSetting("haven.heuristics.addresses", "[ \"192.0.2.1\" ,  \"192.0.2.2\" ]")).Accepted);
        Assert.All(cluster.Hosts, h => Assert.Equal("[\"192.0.2.1\", \"192.0.2.2\"]", h.View!.State.Settings["haven.heuristics.addresses"]));
    }

    [Fact]
    public void CommandBefore_DeadlinePassedInTheMailbox_RefusedAndNothingChanged()
    {
        var cluster = Formed();
        var before = cluster.Hosts.Select(h => h.View!.StreamIndex).ToList();

        var late = Ask<OperatorCommandResult>(cluster, cluster[2],
            new CommandBefore(new SetSetting("haven.heuristics.attempts", "4"), Clock.GetUtcNow() - TimeSpan.FromSeconds(1)));

        Assert.False(late.Accepted);
        Assert.Contains("too long for the cluster (busy or blocked): nothing was changed", late.Message);
        cluster.Run(TimeSpan.FromSeconds(2));
        Assert.Equal(before, cluster.Hosts.Select(h => h.View!.StreamIndex).ToList());
        Assert.All(cluster.Hosts, h => Assert.False(h.View!.State.Settings.ContainsKey("haven.heuristics.attempts")));
    }

    [Fact]
    public void CommandBefore_TakenUpInTime_HandledAsThePlainCommand()
    {
        var cluster = Formed();

        var result = Ask<OperatorCommandResult>(cluster, cluster[2],
            new CommandBefore(new SetSetting("haven.heuristics.attempts", "4"), Clock.GetUtcNow() + TimeSpan.FromSeconds(8)));

        Assert.True(result.Accepted, result.Message);
        Assert.All(cluster.Hosts, h => Assert.Equal("4", h.View!.State.Settings["haven.heuristics.attempts"]));
    }

    [Theory]
    [InlineData("haven.heuristic.attempts", "4", "unknown key haven.heuristic.attempts; did you mean haven.heuristics.attempts?")]
    [InlineData("haven.heuristics.attempts", "four", "haven.heuristics.attempts: expected a whole number, found string \"four\"")]
    [InlineData("haven.journal.provider", "memory", "haven.journal.provider is a host setting (@scope host in reference.conf): set it in each host's configuration file, not cluster-wide")]
    [InlineData("haven.heuristics.attempts", "0", "haven.heuristics.attempts: the change contradicts other settings: haven.heuristics.attempts: must be at least 1")]
    public void SetSetting_BadInput_RefusedWithReasonAndNothingChanged(string key, string value, string reason)
    {
        var cluster = Formed();
        var before = cluster.Hosts.Select(h => h.View!.StreamIndex).ToList();

        var result = Ask<OperatorCommandResult>(cluster, cluster[2], new SetSetting(key, value));

        Assert.False(result.Accepted);
        Assert.Equal(reason, result.Message);
        Assert.Equal(before, cluster.Hosts.Select(h => h.View!.StreamIndex).ToList());
        Assert.All(cluster.Hosts, h => Assert.Empty(h.View!.State.Settings));
    }

    [Fact]
    public void SetSetting_StrategyWithoutItsRequiredSetting_RefusedAsAContradiction()
    {
        var cluster = Formed();
        var result = Ask<OperatorCommandResult>(cluster, cluster[1], new SetSetting("haven.split-brain-resolver.active-strategy", "static-quorum"));
        Assert.False(result.Accepted);
        Assert.StartsWith("haven.split-brain-resolver.active-strategy: the change contradicts other settings: haven.split-brain-resolver.static-quorum.quorum-size", result.Message);
    }

    [Fact]
    public void SetSetting_SameValueAgain_AcceptedWithoutANewEvent()
    {
        var cluster = Formed();
        Assert.True(Ask<OperatorCommandResult>(cluster, cluster[1], new SetSetting("haven.fencing.min-hosts", "2")).Accepted);
        var again = Ask<OperatorCommandResult>(cluster, cluster[3], new SetSetting("haven.fencing.min-hosts", "2"));
        Assert.True(again.Accepted);
        Assert.Equal("haven.fencing.min-hosts is already 2 cluster-wide; nothing changed", again.Message);
        Assert.All(cluster.Hosts, h => Assert.Single(h.StreamManifests(), Changed));
    }

    [Fact]
    public void SetSetting_OnTheMinoritySide_RefusedAndNothingChanged()
    {
        var cluster = Formed();
        cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
        cluster.Run(TimeSpan.FromMilliseconds(500)); // the minority has seen the split but is not fenced yet
        var result = Ask<OperatorCommandResult>(cluster, cluster[3], new SetSetting("haven.heuristics.attempts", "4"));
        Assert.False(result.Accepted);
        Assert.StartsWith("this host is not in the primary partition", result.Message);
        Assert.All(cluster.Hosts.Where(h => h.View is not null), h => Assert.Empty(h.View!.State.Settings));
    }

    [Fact]
    public void ResetSetting_RemovesTheValueOnEveryMember()
    {
        var cluster = Formed();
        Assert.True(Ask<OperatorCommandResult>(cluster, cluster[1], new SetSetting("haven.ha.enabled", "off")).Accepted);
        Assert.All(cluster.Hosts, h => Assert.False(h.View!.State.HaEnabled));

        var result = Ask<OperatorCommandResult>(cluster, cluster[3], new ResetSetting("haven.ha.enabled"));

        Assert.True(result.Accepted, result.Message);
        Assert.Equal("haven.ha.enabled is no longer set cluster-wide; this host uses on (default)", result.Message);
        Assert.All(cluster.Hosts, h => Assert.True(h.View!.State.HaEnabled));
        Assert.All(cluster.Hosts, h => Assert.Empty(h.View!.State.Settings));
    }

    [Fact]
    public void ResetSetting_NotSet_Refused()
    {
        var cluster = Formed();
        var result = Ask<OperatorCommandResult>(cluster, cluster[1], new ResetSetting("haven.ha.enabled"));
        Assert.False(result.Accepted);
        Assert.Equal("haven.ha.enabled is not set cluster-wide; there is nothing to reset", result.Message);
    }

    [Fact]
    public void GetEffectiveSettings_HostOverrideWinsOnlyOnThatHost()
    {
        var overrides = HoconParser.Parse("haven.fencing.min-hosts = 3", "/etc/haven/node3.conf");
        var cluster = Formed(configure: o => o.Self.Id == new NodeId(3) ? o with { HostConfig = overrides } : o);

        var set = Ask<OperatorCommandResult>(cluster, cluster[3], new SetSetting("haven.fencing.min-hosts", "2"));
        Assert.StartsWith("haven.fencing.min-hosts = 2 cluster-wide; this host's file overrides it (/etc/haven/node3.conf:1)", set.Message);

        var on1 = Ask<EffectiveSettings>(cluster, cluster[1], GetEffectiveSettings.Instance)["haven.fencing.min-hosts"];
        var on3 = Ask<EffectiveSettings>(cluster, cluster[3], GetEffectiveSettings.Instance)["haven.fencing.min-hosts"];
        Assert.Equal(("2", SettingSource.Cluster), (on1.Value, on1.Source));
        Assert.Equal(("3", SettingSource.Host, "/etc/haven/node3.conf:1"), (on3.Value, on3.Source, on3.Origin));
    }

    [Fact]
    public void Settings_SurviveARestartFromTheJournal()
    {
        var cluster = Formed();
        Assert.True(Ask<OperatorCommandResult>(cluster, cluster[2], new SetSetting("haven.heuristics.interval", "3s")).Accepted);
        cluster[2].PowerOff();
        cluster[2].PowerOn();
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.Equal("3s", cluster[2].View!.State.Settings["haven.heuristics.interval"]);
        var effective = Ask<EffectiveSettings>(cluster, cluster[2], GetEffectiveSettings.Instance);
        Assert.Equal(TimeSpan.FromSeconds(3), effective.Config.GetDuration("haven.heuristics.interval"));
    }
}
