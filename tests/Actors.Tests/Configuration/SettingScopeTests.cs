using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>@scope in reference files: inherited into objects; cluster-only keys refused in host files.</summary>
public sealed class SettingScopeTests
{
    [Fact]
    public void Scope_OnObject_AppliesToEveryKeyInside()
    {
        var schema = ConfigSchema.FromReference("""
            app {
              # @scope host
              local {
                path = "/x"
                deep.er = 1
              }
              # @scope cluster
              shared = on
              free = 1
            }
            """, "ref.conf");
        Assert.Equal(SettingScope.Host, schema.Settings["app.local.path"].Scope);
        Assert.Equal(SettingScope.Host, schema.Settings["app.local.deep.er"].Scope);
        Assert.Equal(SettingScope.Cluster, schema.Settings["app.shared"].Scope);
        Assert.Equal(SettingScope.Any, schema.Settings["app.free"].Scope);
    }

    [Fact]
    public void Scope_UnknownWord_InvalidAnnotation()
    {
        var e = Assert.Throws<HoconException>(() => ConfigSchema.FromReference("""
            # @scope planet
            a = 1
            """, "ref.conf"));
        Assert.Contains("invalid annotation @scope planet on a", e.Message);
    }

    [Fact]
    public void Live_OnObjectOrKey_InheritedInside_OthersReadAtStart()
    {
        var schema = ConfigSchema.FromReference("""
            app {
              # @live
              rules {
                min = 1
              }
              # @scope cluster
              # @live
              switch = on
              interval = 5s
            }
            """, "ref.conf");
        Assert.True(schema.Settings["app.rules.min"].Live);
        Assert.True(schema.Settings["app.switch"].Live);
        Assert.Equal(SettingScope.Cluster, schema.Settings["app.switch"].Scope);
        Assert.False(schema.Settings["app.interval"].Live);
    }

    [Fact]
    public void Live_WithAnArgument_InvalidAnnotation()
    {
        var e = Assert.Throws<HoconException>(() => ConfigSchema.FromReference("""
            # @live maybe
            a = 1
            """, "ref.conf"));
        Assert.Contains("invalid annotation @live maybe on a", e.Message);
    }

    [Theory]
    [InlineData("haven.ha.enabled", true)]
    [InlineData("haven.fencing.min-hosts", true)]
    [InlineData("haven.fencing.priority-delay", true)]
    [InlineData("haven.fencing.devices", false)]
    [InlineData("haven.fencing.watchdog.enabled", false)]
    [InlineData("haven.heuristics.attempts", false)]
    [InlineData("haven.events.monitor-interval", false)]
    public void Reference_Live(string key, bool live) => Assert.Equal(live, HavenConfig.Schema.Settings[key].Live);

    [Theory]
    [InlineData("haven.cluster.name", SettingScope.Host)]
    [InlineData("haven.journal.sqlite.path", SettingScope.Host)]
    [InlineData("haven.control.socket", SettingScope.Host)]
    [InlineData("haven.logging.file.path", SettingScope.Host)]
    [InlineData("haven.metrics.listen", SettingScope.Host)]
    [InlineData("haven.fencing.secrets-file", SettingScope.Host)]
    [InlineData("haven.ha.enabled", SettingScope.Cluster)]
    [InlineData("haven.fencing.enabled", SettingScope.Any)]
    [InlineData("haven.heuristics.attempts", SettingScope.Any)]
    public void Reference_Scopes(string key, SettingScope scope) => Assert.Equal(scope, HavenConfig.Schema.Settings[key].Scope);

    [Fact]
    public void Validate_ClusterOnlyKeyInHostFile_ProblemSayingHowToSetIt()
    {
        var config = HoconParser.Parse("haven {\n  ha.enabled = off\n}", "/etc/haven/haven.conf");
        var problem = Assert.Single(HavenConfig.Validate(config));
        Assert.Equal("/etc/haven/haven.conf:2:16: haven.ha.enabled: is a cluster-wide setting (@scope cluster): set it with `haven config set haven.ha.enabled VALUE`, not in a host's file",
            problem.ToString());
    }

    [Fact]
    public void Validate_ReferenceUnderHostFile_NoScopeProblem()
    {
        var config = HoconParser.Parse("haven.heuristics.attempts = 3", "h.conf", new HoconParseOptions { Fallback = HavenConfig.Reference });
        Assert.Empty(HavenConfig.Validate(config));
    }
}

/// <summary>@range MIN..MAX on numbers and durations, and the default range of every duration.</summary>
public sealed class SettingRangeTests
{
    private static readonly ConfigSchema Schema = ConfigSchema.FromReference("""
        app {
          # @range 0..5
          probes = 1
          # @range 1ms..1h
          stable = 2s
          timeout = 10s
          # @range 0s..30d
          window = 10m
        }
        """, "ref.conf");

    private static IReadOnlyList<ConfigProblem> Validate(string text) => Schema.Validate(HoconParser.Parse(text, "user.conf"));

    [Theory]
    [InlineData("app.probes = 0")]
    [InlineData("app.probes = 5")]
    [InlineData("app.stable = 1ms")]
    [InlineData("app.stable = 1h")]
    [InlineData("app.timeout = 0s")]
    [InlineData("app.timeout = 24d")]
    [InlineData("app.window = 30d")]
    public void Validate_WithinRange_NoProblem(string line) => Assert.Empty(Validate(line));

    [Theory]
    [InlineData("app.probes = 6", "app.probes: 6 is out of range (0..5)")]
    [InlineData("app.probes = -1", "app.probes: -1 is out of range (0..5)")]
    [InlineData("app.stable = 0s", "app.stable: 0s is out of range (1ms..1h)")]
    [InlineData("app.stable = 1000d", "app.stable: 1000d is out of range (1ms..1h)")]
    [InlineData("app.timeout = -1s", "app.timeout: -1s is out of range (0s..24d)")]
    [InlineData("app.timeout = 25d", "app.timeout: 25d is out of range (0s..24d)")]
    [InlineData("app.window = 31d", "app.window: 31d is out of range (0s..30d)")]
    public void Validate_OutOfRange_NamesTheKeyAndTheRange(string line, string problem)
    {
        var found = Assert.Single(Validate(line));
        Assert.Equal(problem, $"{found.Path}: {found.Message}");
        Assert.StartsWith("user.conf:1:", found.Origin);
    }

    [Theory]
    [InlineData("# @range 5..1\na = 3")]
    [InlineData("# @range 1s..2s\na = 3")]
    [InlineData("# @range 1..\na = 3")]
    [InlineData("# @range 0..5\na = x")]
    public void Range_NotOfTheSettingsTypeOrBackwards_InvalidAnnotation(string reference) =>
        Assert.Contains("invalid annotation @range", Assert.Throws<HoconException>(() => ConfigSchema.FromReference(reference, "ref.conf")).Message);

    [Fact]
    public void ClusterWideCheck_OutOfRange_Refused() =>
        Assert.Equal("haven.ips.duplicate-probes: 99 is out of range (0..5)", ClusterWideSettings.Check("haven.ips.duplicate-probes", "99", out _));
}

/// <summary>Every string, list and map from outside is bounded: @max-length N, else ConfigSchema.DefaultMaxLength.</summary>
public sealed class SettingLengthTests
{
    private static readonly ConfigSchema Schema = ConfigSchema.FromReference("""
        app {
          name = ""
          # @max-length 3
          hosts = []
          # @map
          devices {}
        }
        """, "ref.conf");

    private static ConfigProblem? Problem(string text) => Schema.Validate(HoconParser.Parse(text, "user.conf")).SingleOrDefault();

    [Fact]
    public void Validate_StringLongerThanTheDefault_Refused()
    {
        Assert.Null(Problem($"app.name = \"{new string('a', ConfigSchema.DefaultMaxLength)}\""));
        Assert.Equal("a string of 4097 characters, more than the 4096 allowed", Problem($"app.name = \"{new string('a', 4097)}\"")?.Message);
    }

    [Fact]
    public void Validate_ListLongerThanItsMaxLength_Refused()
    {
        Assert.Null(Problem("app.hosts = [a, b, c]"));
        Assert.Equal("a list of 4 entries, more than the 3 allowed", Problem("app.hosts = [a, b, c, d]")?.Message);
        Assert.Equal("an entry of 5000 characters, more than the 4096 allowed", Problem($"app.hosts = [\"{new string('x', 5000)}\"]")?.Message);
    }

    [Fact]
    public void Validate_MapWithMoreEntriesThanTheDefault_Refused()
    {
        var entries = string.Join(", ", Enumerable.Range(0, 4097).Select(i => $"d{i} = 1"));
        Assert.Equal("4097 entries, more than the 4096 allowed", Problem($"app.devices {{ {entries} }}")?.Message);
    }

    [Fact]
    public void ClusterWide_HeuristicAddressesBeyond64_Refused_AHugeValueRefusedBeforeParsing()
    {
        var many = "[" + string.Join(", ", Enumerable.Range(0, 65).Select(i => $"\"192.0.2.{i}\"")) + "]";
        Assert.Equal("haven.heuristics.addresses: a list of 65 entries, more than the 64 allowed", ClusterWideSettings.Check("haven.heuristics.addresses", many, out _));
        var huge = "\"" + new string('x', 20 * 1024 * 1024) + "\"";
        Assert.StartsWith("haven.alerts.from: the value is 20971522 characters, more than the 65536", ClusterWideSettings.Check("haven.alerts.from", huge, out _));
    }
}
