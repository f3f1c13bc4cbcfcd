using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

public sealed class HavenSettingsTests
{
    [Fact]
    public void From_Reference_GivesTheDocumentedDefaults()
    {
        var s = HavenSettings.From(HavenConfig.Reference);
        Assert.Equal(new ClusterSettings("haven", "", ClusterTransportKind.Simulated), s.Cluster);
        Assert.Equal(new JournalSettings(JournalProviderKind.Sqlite, "/var/lib/haven/journal.db", ""), s.Journal);
        Assert.Equal("/run/haven/haven.sock", s.Control.Socket);
        Assert.Equal(new LoggingSettings(HavenLogLevel.Information, true, LogFormat.Text, null), s.Logging);
        Assert.Equal(new SplitBrainResolverSettings(SplitBrainStrategyKind.KeepMajority, TimeSpan.FromMilliseconds(500), true, 0, "", true), s.SplitBrainResolver); // stable-after 500 ms since issue 14 (was 2 s)
        Assert.False(s.Heuristics.Enabled);
        Assert.Empty(s.Heuristics.Addresses);
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500)), (s.Heuristics.Interval, s.Heuristics.Timeout));
    }

    [Fact]
    public void From_UserSettings_OverrideDefaultsAndMapEnums()
    {
        var cfg = HoconParser.Parse("""
            haven {
              cluster { node-name = n2, transport = corosync }
              journal { provider = postgresql, postgresql.connection-string = "Host=db" }
              logging { level = warning, format = json, console = off, file.path = /var/log/haven.log }
              split-brain-resolver { active-strategy = votequorum, stable-after = 10s, keep-oldest.down-if-alone = no }
              heuristics { enabled = yes, addresses = ["192.0.2.1"], timeout = 2s }
            }
            """, "user.conf");
        var s = HavenSettings.From(cfg);
        Assert.Equal(("haven", "n2", ClusterTransportKind.Corosync), (s.Cluster.Name, s.Cluster.NodeName, s.Cluster.Transport));
        Assert.Equal((JournalProviderKind.PostgreSql, "Host=db"), (s.Journal.Provider, s.Journal.PostgreSqlConnectionString));
        Assert.Equal(new LoggingSettings(HavenLogLevel.Warning, false, LogFormat.Json, "/var/log/haven.log"), s.Logging);
        Assert.Equal((SplitBrainStrategyKind.VoteQuorum, TimeSpan.FromSeconds(10), false),
            (s.SplitBrainResolver.ActiveStrategy, s.SplitBrainResolver.StableAfter, s.SplitBrainResolver.KeepOldestDownIfAlone));
        Assert.Equal(["192.0.2.1"], s.Heuristics.Addresses.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(2), s.Heuristics.Timeout);
    }

    [Theory]
    [InlineData("keep-majority", SplitBrainStrategyKind.KeepMajority)]
    [InlineData("static-quorum", SplitBrainStrategyKind.StaticQuorum)]
    [InlineData("keep-oldest", SplitBrainStrategyKind.KeepOldest)]
    [InlineData("keep-referee", SplitBrainStrategyKind.KeepReferee)]
    [InlineData("down-all", SplitBrainStrategyKind.DownAll)]
    [InlineData("votequorum", SplitBrainStrategyKind.VoteQuorum)]
    public void From_EveryStrategyWord_MapsToItsKind(string word, SplitBrainStrategyKind kind)
    {
        var cfg = HoconParser.Parse($"haven.split-brain-resolver.active-strategy = {word}", "u.conf");
        Assert.Equal(kind, HavenSettings.From(cfg).SplitBrainResolver.ActiveStrategy);
    }

    [Theory]
    [InlineData("stop", Haven.Actors.SplitBrain.NoQuorumPolicy.Stop)]
    [InlineData("freeze", Haven.Actors.SplitBrain.NoQuorumPolicy.Freeze)]
    [InlineData("ignore", Haven.Actors.SplitBrain.NoQuorumPolicy.Ignore)]
    [InlineData("demote", Haven.Actors.SplitBrain.NoQuorumPolicy.Demote)]
    [InlineData("fence", Haven.Actors.SplitBrain.NoQuorumPolicy.Fence)]
    [InlineData("suicide", Haven.Actors.SplitBrain.NoQuorumPolicy.Suicide)]
    public void From_NoQuorumPolicy_ReachesTheSplitBrainSettings(string word, Haven.Actors.SplitBrain.NoQuorumPolicy policy)
    {
        var cfg = HoconParser.Parse($"haven.split-brain-resolver.no-quorum-policy = {word}", "u.conf");
        var settings = HavenSettings.From(cfg);
        Assert.Equal(policy, settings.SplitBrainResolver.NoQuorumPolicy);
        Assert.Equal(Haven.Actors.SplitBrain.NoQuorumPolicy.Stop, HavenSettings.From(HavenConfig.Reference).SplitBrainResolver.NoQuorumPolicy);
    }

    [Fact]
    public void Validate_UnknownNoQuorumPolicy_NamesTheKeyAndTheValues()
    {
        var problems = HavenConfig.Validate(HoconParser.Parse("haven.split-brain-resolver.no-quorum-policy = panic", "u.conf",
            new HoconParseOptions { Fallback = HavenConfig.Reference }));
        var problem = Assert.Single(problems);
        Assert.Equal("haven.split-brain-resolver.no-quorum-policy", problem.Path);
        Assert.Contains("stop, freeze, ignore, demote, fence, suicide", problem.Message);
    }

    [Fact]
    public void From_InvalidValue_ThrowsConfigExceptionWithOrigin()
    {
        var ex = Assert.Throws<ConfigException>(() => HavenSettings.From(HoconParser.Parse("haven.journal.provider = mysql", "u.conf")));
        Assert.Equal("u.conf:1:26: haven.journal.provider: invalid value \"mysql\"; expected one of sqlite, postgresql, memory", ex.Message);
        Assert.Throws<ConfigException>(() => HavenSettings.From(HoconParser.Parse("haven.heuristics.interval = soon", "u.conf")));
    }

    [Fact]
    public void EffectiveNodeName_EmptyMeansHostName()
    {
        Assert.Equal("host-a", new ClusterSettings("c", "", ClusterTransportKind.Simulated).EffectiveNodeName("host-a"));
        Assert.Equal("n1", new ClusterSettings("c", "n1", ClusterTransportKind.Simulated).EffectiveNodeName("host-a"));
    }
}
