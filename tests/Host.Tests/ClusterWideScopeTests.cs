using System.Text.RegularExpressions;
using Haven.Actors.Configuration;

namespace Haven.Host.Tests;

/// <summary>
/// What a cluster-wide change (`haven config set`) can touch: never a program, a directory of programs, a URI that
/// can start one, or a file the daemon reads or writes as root — and docs/cluster-wide-settings.md says exactly which keys it can.
/// </summary>
public sealed partial class ClusterWideScopeTests
{
    /// <summary>Key names that name something on the file system or something run.</summary>
    [GeneratedRegex("(file|dir|path|binary|command|device|devices|uri|agent|config|socket|xe|vzctl|connection-string)$")]
    private static partial Regex NamesAThingToRunOrOpen();

    private static IEnumerable<SettingSchema> Leaves() => HavenConfig.Schema.Settings.Values.Where(s => !s.IsSection && s.Segments.Count > 0);

    [Fact]
    public void Reference_EveryKeyNamingAProgramDirectoryUriOrFile_IsHostOnly()
    {
        var exposed = Leaves()
            .Where(s => s.Scope != SettingScope.Host)
            .Where(s => NamesAThingToRunOrOpen().IsMatch(s.Segments[^1])
                || (HavenConfig.Reference.TryGetValue(s.Path, out var value) && value is HoconScalar scalar
                    && (scalar.Text.StartsWith('/') || scalar.Text.Contains("://", StringComparison.Ordinal))))
            .Select(s => s.Path)
            .ToList();
        Assert.Empty(exposed);
    }

    [Fact]
    public void Docs_ClusterWideSettingsPage_ListsExactlyTheKeysConfigSetAccepts()
    {
        var page = File.ReadAllText(Path.Combine(ConfigCheckTests.RepoRoot(), "docs", "cluster-wide-settings.md"));
        var table = page[page.IndexOf("## Settable cluster-wide", StringComparison.Ordinal)..page.IndexOf("## Host-only", StringComparison.Ordinal)];
        var rows = Regex.Matches(table, @"^\| `(haven\.[a-z0-9.-]+)` \| ([a-z ]+)", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        var settable = Leaves().Where(s => s.Scope != SettingScope.Host).ToList();
        Assert.Equal(settable.Select(s => s.Path).Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var setting in settable)
        {
            Assert.NotNull(ClusterWideSettings.FindSettable(setting.Path, out _));
            Assert.Equal(setting.Live ? "live" : "at start", rows[setting.Path]);
        }
    }
}
