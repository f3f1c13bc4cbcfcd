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
