using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Haven.Actors.Configuration;
using Haven.Host.Cli;
using Haven.Host.Daemon;
using Haven.Host.Metrics;

namespace Haven.Host.Tests;

/// <summary>The Prometheus endpoint of a running daemon, and the loopback-only listen address.</summary>
public class MetricsTests
{
    private static string Config(TempDir dir, string metrics) => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          logging.console = off
          metrics { {{metrics}} }
        }
        """);

    /// <summary>Below the ephemeral range: no other test's outgoing connection can take it before the daemon binds it.</summary>
    private static int FreeLoopbackPort() => Haven.TestKit.LoopbackPorts.Free(System.Net.Sockets.ProtocolType.Tcp);

    /// <summary>Sample lines "name{labels} value" keyed by "name{labels}"; comments checked to name a known metric.</summary>
    private static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var typed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "gauge", "counter" });
                typed.Add(parts[2]);
                continue;
            }
            if (line.StartsWith('#')) continue;
            var space = line.LastIndexOf(' ');
            var key = line[..space];
            Assert.Contains(key.Split('{')[0], typed); // every sample follows its TYPE line
            samples.Add(key, double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
        }
        return samples;
    }

    [Fact]
    public async Task Scrape_OneHostPrimaryDaemon_ReportsItsState()
    {
        using var dir = new TempDir();
        var port = FreeLoopbackPort();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, $"enabled = on, listen = \"127.0.0.1:{port}\""));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var journaledBefore = await daemon.State.Journal.CountAsync();
        using var response = await http.GetAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var m = Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(1, m["haven_members{state=\"up\"}"]);
        Assert.Equal(0, m["haven_members{state=\"down\"}"]);
        Assert.Equal(1, m["haven_quorate"]);
        Assert.Equal(1, m["haven_is_dc"]);
        Assert.Equal(1, m["haven_partition{role=\"primary\"}"]);
        Assert.Equal(0, m["haven_partition{role=\"minority\"}"]);
        // The daemon may journal more while the scrape runs: the count it reports lies between the two reads.
        Assert.InRange(m["haven_events_journaled_total"], journaledBefore, await daemon.State.Journal.CountAsync());
        Assert.True(m["haven_events_journaled_total"] > 0);
        Assert.True(m["haven_replicated_events"] > 0);
        Assert.Equal(0, m["haven_fence_attempts_total"]);
        Assert.Equal(0, m["haven_fence_failures_total"]);
        Assert.Equal(0, m["haven_addresses_held"]);
        Assert.Equal(0, m["haven_addresses{node=\"solo\"}"]);
        Assert.Equal(0, m["haven_members{state=\"maintenance\"}"]);
        Assert.Equal(0, m["haven_fences_succeeded_total"]);
        Assert.Equal(0, m["haven_event_script_runs_total"]);
        Assert.Equal(0, m["haven_event_script_failures_total"]);
        Assert.True(m.ContainsKey("haven_recoveries_total"));
    }

    [Fact]
    public async Task Scrape_FailingEventScript_CountsRunsAndFailures()
    {
        using var dir = new TempDir();
        var scripts = dir.File("events.d");
        Directory.CreateDirectory(scripts);
        var script = Path.Combine(scripts, "10.fails");
        File.WriteAllText(script, "#!/bin/sh\nexit 3\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var port = FreeLoopbackPort();
        var config = Config(dir, $"enabled = on, listen = \"127.0.0.1:{port}\"");
        File.AppendAllText(config, $"\nhaven.events.scripts-dir = \"{scripts}\"\n");
        await using var daemon = await RunningDaemon.StartAsync(config);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Dictionary<string, double> m = [];
        Assert.True(SpinWait.SpinUntil(() =>
        {
            m = Parse(http.GetStringAsync($"http://127.0.0.1:{port}/metrics").GetAwaiter().GetResult());
            return m["haven_event_script_runs_total"] >= 3; // init, setup, startup
        }, TimeSpan.FromSeconds(30)), "the scripts did not run");
        Assert.Equal(m["haven_event_script_runs_total"], m["haven_event_script_failures_total"]);
    }

    [Fact]
    public async Task Start_NonLoopbackListen_RefusesNamingTheKey()
    {
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<CliException>(() => RunningDaemon.StartAsync(Config(dir, "enabled = on, listen = \"0.0.0.0:9464\"")));
        Assert.Contains("haven.metrics.listen", e.Message);
        Assert.Contains("not a loopback address", e.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:9464", "127.0.0.1", 9464)]
    [InlineData("[::1]:9000", "::1", 9000)]
    [InlineData("localhost:1", "127.0.0.1", 1)]
    public void Settings_LoopbackAddress_IsRead(string listen, string ip, int port)
    {
        var settings = MetricsSettings.From(HoconParser.Parse($"haven.metrics {{ enabled = on, listen = \"{listen}\" }}", "test.conf"));
        Assert.True(settings.Enabled);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(ip), port), settings.Listen);
    }

    [Theory]
    [InlineData("10.0.0.1:9464", "not a loopback address")]
    [InlineData("127.0.0.1", "expected HOST:PORT")]
    [InlineData("127.0.0.1:0", "port '0'")]
    [InlineData("::1:9464", "in brackets")]
    [InlineData("metrics.example:9464", "not an IP address or localhost")]
    public void Settings_BadListen_IsAConfigErrorSayingWhy(string listen, string reason)
    {
        var e = Assert.Throws<ConfigException>(() => MetricsSettings.From(HoconParser.Parse($"haven.metrics.listen = \"{listen}\"", "test.conf")));
        Assert.Contains("haven.metrics.listen", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Settings_Default_IsOffOnLoopback9464()
    {
        var settings = MetricsSettings.From(Haven.Actors.Configuration.Config.Empty);
        Assert.False(settings.Enabled);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9464), settings.Listen);
    }

    [Fact]
    public void Text_LabelValues_AreEscaped() => Assert.Equal("a\\\\b\\\"c\\nd", MetricsSnapshot.Escape("a\\b\"c\nd"));
}
