using Haven.Actors.Configuration;
using Haven.Actors.Fencing;

namespace Haven.Actors.Tests.Fencing;

/// <summary>The fencing rules as settings: live over the cluster-wide settings, and the reboot command.</summary>
public sealed class FencingRulesConfigTests
{
    private static readonly FencingPolicy Own = new() { MinHosts = 2, QuorumRequired = false, PriorityDelay = TimeSpan.FromSeconds(7) };

    private static Config HostFile(string text) =>
        HoconParser.Parse(text, "/etc/haven/haven.conf", new HoconParseOptions { Fallback = HavenConfig.Reference });

    private static Dictionary<string, string> Cluster(params (string Key, string Value)[] settings) =>
        settings.ToDictionary(s => s.Key, s => s.Value);

    [Fact]
    public void Live_NothingSetClusterWide_IsThisHostsOwnRules()
    {
        Assert.Equal(Own, FencingRulesConfig.Live(Own, SettingsResolver.Resolve(Cluster(), null)));
        Assert.Equal(Own, FencingRulesConfig.Live(Own, SettingsResolver.Resolve(Cluster(), HostFile("haven.fencing.min-hosts = 2"))));
    }

    [Fact]
    public void Live_EveryRuleSetClusterWide_TakesTheClusterValues()
    {
        var effective = SettingsResolver.Resolve(Cluster(
            ("haven.fencing.enabled", "off"),
            ("haven.fencing.min-hosts", "3"),
            ("haven.fencing.quorum-required", "on"),
            ("haven.fencing.recover-on-failure", "on"),
            ("haven.fencing.reboot-lone-host", "on"),
            ("haven.fencing.priority-delay", "15s")), null);

        var expected = new FencingPolicy { Enabled = false, MinHosts = 3, QuorumRequired = true, RecoverOnFailure = true, RebootLoneHost = true, PriorityDelay = TimeSpan.FromSeconds(15) };
        Assert.Equal(expected, FencingRulesConfig.Live(Own, effective));
    }

    [Fact]
    public void Live_ThisHostsFileSetsTheRule_TheFileWinsOverTheClusterValue()
    {
        var effective = SettingsResolver.Resolve(Cluster(("haven.fencing.min-hosts", "3"), ("haven.fencing.reboot-lone-host", "on")),
            HostFile("haven.fencing.min-hosts = 2"));

        var live = FencingRulesConfig.Live(Own, effective);

        Assert.Equal(2, live.MinHosts);
        Assert.True(live.RebootLoneHost);
    }

    [Fact]
    public void Live_ValuesNoRuleCanUse_AreClamped()
    {
        var effective = SettingsResolver.Resolve(Cluster(("haven.fencing.min-hosts", "0"), ("haven.fencing.priority-delay", "-5s")), null);
        var live = FencingRulesConfig.Live(Own, effective);
        Assert.Equal(1, live.MinHosts);
        Assert.Equal(TimeSpan.Zero, live.PriorityDelay);
    }

    [Fact]
    public void Read_Reference_IsTheDefaultPolicyExceptFencingOff()
    {
        Assert.Equal(new FencingPolicy { Enabled = false }, FencingRulesConfig.Read(HavenConfig.Reference));
    }

    [Fact]
    public void RebootCommand_Default_IsSystemctlRebootForce()
    {
        Assert.Equal(["systemctl", "reboot", "--force"], FencingConfig.Read(Config.Empty).RebootCommand.ToArray());
        Assert.Equal(["/sbin/reboot", "-f"], FencingConfig.Read(HostFile("haven.fencing.reboot-command = [\"/sbin/reboot\", \"-f\"]")).RebootCommand.ToArray());
    }

    [Theory]
    [InlineData("[]", "must name a command")]
    [InlineData("[\"\"]", "the command (first element) is empty")]
    [InlineData("[\" systemctl\", \"reboot\"]", "leading or trailing blanks")]
    [InlineData("[\"sbin/reboot\"]", "\"sbin/reboot\" is a relative path")]
    [InlineData("[\"./reboot\"]", "\"./reboot\" is a relative path")]
    [InlineData("[\"reboot\", \"a\\nb\"]", "element 2 contains a NUL or a line break")]
    public void RebootCommand_Bad_RefusedNamingTheKeyAndTheFile(string value, string problem)
    {
        var problems = HavenConfig.Validate(HostFile($"haven.fencing.reboot-command = {value}\n"));

        var found = Assert.Single(problems);
        Assert.Equal("haven.fencing.reboot-command", found.Path);
        Assert.Contains(problem, found.Message);
        Assert.Contains("/etc/haven/haven.conf:1", found.Origin);
    }

    [Theory]
    [InlineData("[\"systemctl\", \"reboot\", \"--force\"]")]
    [InlineData("[\"/usr/sbin/reboot\"]")]
    [InlineData("[\"/usr/local/bin/ipmi-reset\", \"--host\", \"self\", \"a b; rm -rf /\"]")] // arguments are argv, never shell text
    public void RebootCommand_Good_Accepted(string value) =>
        Assert.Empty(HavenConfig.Validate(HostFile($"haven.fencing.reboot-command = {value}\n")));

    [Theory]
    [InlineData("[\"reboot\", [\"-f\"]]")]
    [InlineData("\"systemctl reboot\"")]
    public void RebootCommand_NotAListOfStrings_RefusedByTheSchema(string value)
    {
        var problem = Assert.Single(HavenConfig.Validate(HostFile($"haven.fencing.reboot-command = {value}\n")));
        Assert.StartsWith("haven.fencing.reboot-command", problem.Path);
    }

    [Fact]
    public void RebootCommand_HostScope_RefusedClusterWide()
    {
        var error = ClusterWideSettings.Check("haven.fencing.reboot-command", "[\"/bin/true\"]", out _);
        Assert.Contains("is a host setting", error);
    }
}
