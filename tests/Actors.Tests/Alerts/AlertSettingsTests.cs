using Haven.Actors.Alerts;
using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Alerts;

public sealed class AlertSettingsTests
{
    private static Config Parse(string text) => HoconParser.Parse(text, "test.conf");

    [Fact]
    public void Read_Reference_GivesTheDocumentedDefaults()
    {
        var s = AlertSettings.Read(HavenConfig.Reference);

        Assert.False(s.Enabled);
        Assert.Equal(("127.0.0.1", 25), (s.SmtpHost, s.SmtpPort));
        Assert.Equal("haven@localhost", s.From);
        Assert.Empty(s.To);
        Assert.True(s.Triggers.SetEquals([AlertKind.Fence, AlertKind.FenceFailed, AlertKind.Failover, AlertKind.Unhealthy, AlertKind.SplitBrain]));
        Assert.Equal(TimeSpan.FromMinutes(10), s.DedupWindow);
        Assert.Equal(5, s.MaxPerPeriod);
        Assert.Equal(TimeSpan.FromHours(1), s.Period);
        Assert.Equal("haven", s.ClusterName);
    }

    [Fact]
    public void Read_FullSection_IsRead()
    {
        var s = AlertSettings.Read(Parse("""
            haven.cluster.name = prod
            haven.alerts {
              enabled = on, smtp-server = "mail.example.com:2525", to = ["a@example.com", "b@example.com"],
              triggers = [fence-failed, node-down], max-per-period = 2, period = 30m, dedup-window = 0s
              smtp-user = haven, smtp-password-file = "/etc/haven/smtp.pw"
            }
            """));

        Assert.Equal(("mail.example.com", 2525), (s.SmtpHost, s.SmtpPort));
        Assert.Equal(["a@example.com", "b@example.com"], s.To.ToArray());
        Assert.True(s.Triggers.SetEquals([AlertKind.FenceFailed, AlertKind.NodeDown]));
        Assert.Equal(2, s.MaxPerPeriod);
        Assert.Equal(TimeSpan.FromMinutes(30), s.Period);
        Assert.Equal(TimeSpan.Zero, s.DedupWindow);
        Assert.Equal("prod", s.ClusterName);
    }

    [Theory]
    [InlineData("triggers = [fence, meteor]", "haven.alerts.triggers[1]", "meteor")]
    [InlineData("to = [\"ops\"]", "haven.alerts.to[0]", "not a mail address")]
    [InlineData("to = [\"a@b>\\r\\nRCPT TO:<c@d\"]", "haven.alerts.to[0]", "not a mail address")]
    [InlineData("from = \"x y@z\"", "haven.alerts.from", "not a mail address")]
    [InlineData("smtp-server = \"mail:0\"", "haven.alerts.smtp-server", "HOST:PORT")]
    [InlineData("smtp-server = \"mail:smtp\"", "haven.alerts.smtp-server", "HOST:PORT")]
    [InlineData("max-per-period = 0", "haven.alerts.max-per-period", "at least 1")]
    [InlineData("period = 0s", "haven.alerts.period", "positive")]
    [InlineData("enabled = on", "haven.alerts.to", "nobody")]
    [InlineData("smtp-user = haven", "haven.alerts.smtp-user", "together")]
    public void Read_BadValue_NamesTheKey(string body, string path, string reason)
    {
        var e = Assert.Throws<ConfigException>(() => AlertSettings.Read(Parse($"haven.alerts {{ {body} }}")));

        Assert.Equal(path, e.Path);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AlertsSection_IsKnownToTheSchema()
    {
        Assert.Empty(HavenConfig.Validate(Parse("haven.alerts { enabled = on, to = [\"ops@example.com\"], period = 2h }"), "n1"));
    }
}
