using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>Effective values: reference default &lt; cluster-wide &lt; this host's file, each with its source.</summary>
public sealed class SettingsResolverTests
{
    private static Config HostFile(string text) =>
        HoconParser.Parse(text, "/etc/haven/haven.conf", new HoconParseOptions { Fallback = HavenConfig.Reference });

    private static Dictionary<string, string> Cluster(params (string Key, string Value)[] settings) =>
        settings.ToDictionary(s => s.Key, s => s.Value);

    [Fact]
    public void Resolve_NothingSet_EveryKeyIsItsDefault()
    {
        var effective = SettingsResolver.Resolve(Cluster(), null);
        var attempts = effective["haven.heuristics.attempts"];
        Assert.Equal(new EffectiveSetting("haven.heuristics.attempts", "2", SettingSource.Default, null, SettingScope.Any), attempts);
        Assert.All(effective.All, s => Assert.Equal(SettingSource.Default, s.Source));
        Assert.DoesNotContain(effective.All, s => s.Key == "haven.heuristics"); // sections are not settings
        Assert.Equal(2, effective.Config.GetInt("haven.heuristics.attempts"));
    }

    [Fact]
    public void Resolve_ClusterValue_WinsOverDefault()
    {
        var effective = SettingsResolver.Resolve(Cluster(("haven.heuristics.attempts", "5")), HostFile("haven.heuristics.enabled = on"));
        Assert.Equal("5", effective["haven.heuristics.attempts"].Value);
        Assert.Equal(SettingSource.Cluster, effective["haven.heuristics.attempts"].Source);
        Assert.Equal(5, effective.Config.GetInt("haven.heuristics.attempts"));
    }

    [Fact]
    public void Resolve_HostFile_WinsOverClusterWithFileAndLine()
    {
        var host = HostFile("""
            haven {
              heuristics {
                attempts = 7
              }
            }
            """);
        var effective = SettingsResolver.Resolve(Cluster(("haven.heuristics.attempts", "5"), ("haven.heuristics.interval", "3s")), host);
        Assert.Equal(new EffectiveSetting("haven.heuristics.attempts", "7", SettingSource.Host, "/etc/haven/haven.conf:3", SettingScope.Any),
            effective["haven.heuristics.attempts"]);
        Assert.Equal("host /etc/haven/haven.conf:3", effective["haven.heuristics.attempts"].SourceText);
        Assert.Equal(SettingSource.Cluster, effective["haven.heuristics.interval"].Source);
        Assert.Equal(TimeSpan.FromSeconds(3), effective.Config.GetDuration("haven.heuristics.interval"));
        Assert.Equal(7, effective.Config.GetInt("haven.heuristics.attempts"));
    }

    [Fact]
    public void Resolve_HostFileLoadedWithoutReference_SameSources()
    {
        var host = HoconParser.Parse("haven.fencing.min-hosts = 2", "h.conf");
        var effective = SettingsResolver.Resolve(Cluster(), host);
        Assert.Equal(SettingSource.Host, effective["haven.fencing.min-hosts"].Source);
        Assert.Equal(SettingSource.Default, effective["haven.fencing.enabled"].Source);
    }

    [Fact]
    public void Resolve_ClusterOnlyKeyInHostFile_HostValueIgnored()
    {
        var effective = SettingsResolver.Resolve(Cluster(("haven.ha.enabled", "off")), HostFile("haven.ha.enabled = on"));
        Assert.Equal("off", effective["haven.ha.enabled"].Value);
        Assert.Equal(SettingSource.Cluster, effective["haven.ha.enabled"].Source);
    }

    [Fact]
    public void Resolve_HostOnlyKeyInClusterSettings_ClusterValueIgnored()
    {
        var effective = SettingsResolver.Resolve(Cluster(("haven.journal.provider", "memory")), null);
        Assert.Equal(SettingSource.Default, effective["haven.journal.provider"].Source);
        Assert.Equal(SettingScope.Host, effective["haven.journal.provider"].Scope);
    }

    [Fact]
    public void Resolve_MapObject_TakenWholeFromOneLayer()
    {
        var effective = SettingsResolver.Resolve(Cluster(("haven.vms.capacities", "{ n1 { cpu = 4 } }")), null);
        Assert.Equal(SettingSource.Cluster, effective["haven.vms.capacities"].Source);
        Assert.Equal(4, effective.Config.GetInt("haven.vms.capacities.n1.cpu"));
    }

    [Fact]
    public void Select_Section_EveryKeyUnderIt()
    {
        var effective = SettingsResolver.Resolve(Cluster(), null);
        var keys = effective.Select("haven.heuristics", out var error)!.Select(s => s.Key).ToList();
        Assert.Null(error);
        Assert.Equal(["haven.heuristics.enabled", "haven.heuristics.addresses", "haven.heuristics.interval", "haven.heuristics.timeout", "haven.heuristics.attempts"], keys);
        Assert.Single(effective.Select("haven.ha.enabled", out _)!);
        Assert.Equal(effective.All.Count, effective.Select(null, out _)!.Count);
    }

    [Fact]
    public void Select_UnknownKey_NullWithNearestKey()
    {
        Assert.Null(SettingsResolver.Resolve(Cluster(), null).Select("haven.heuristics.atempts", out var error));
        Assert.Equal("unknown key haven.heuristics.atempts; did you mean haven.heuristics.attempts?", error);
    }

    [Fact]
    public void Render_StringsThatReadBackBare_Unquoted()
    {
        Assert.True(ClusterWideSettings.TryParseValue("keep-majority", out var bare, out _));
        Assert.Equal("keep-majority", ClusterWideSettings.Render(bare));
        Assert.True(ClusterWideSettings.TryParseValue("\"a b\"", out var spaced, out _));
        Assert.Equal("\"a b\"", ClusterWideSettings.Render(spaced));
        Assert.True(ClusterWideSettings.TryParseValue("\"\"", out var empty, out _));
        Assert.Equal("\"\"", ClusterWideSettings.Render(empty));
        Assert.True(ClusterWideSettings.TryParseValue("[ \"192.0.2.1\" ,\"192.0.2.2\"]", out var list, out _));
        Assert.Equal("[\"192.0.2.1\", \"192.0.2.2\"]", ClusterWideSettings.Render(list));
        Assert.True(ClusterWideSettings.TryParseValue("{ p1 { type = pool, plugs { \"n.1\" = 2 } } }", out var map, out _));
        Assert.Equal("{ p1 { type = pool, plugs { \"n.1\" = 2 } } }", ClusterWideSettings.Render(map));
        Assert.True(ClusterWideSettings.TryParseValue("500ms", out var duration, out _));
        Assert.Equal("500ms", ClusterWideSettings.Render(duration));
        Assert.True(ClusterWideSettings.TryParseValue("/var/lib/x", out var path, out _));
        Assert.Equal("\"/var/lib/x\"", ClusterWideSettings.Render(path));
    }

    [Fact]
    public void Check_NormalizesTheValue()
    {
        Assert.Null(ClusterWideSettings.Check("haven.heuristics.addresses", "[ \"192.0.2.1\" ]", out var normalized));
        Assert.Equal("[\"192.0.2.1\"]", normalized);
    }
}
