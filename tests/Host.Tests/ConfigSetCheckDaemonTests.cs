using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Haven.Host.Tests.Web;

namespace Haven.Host.Tests;

/// <summary>
/// `haven config set` on a real daemon (n1) of a three-host cluster (n2, n3 in process, SimulatedPeers): every host in the
/// view runs the daemon's start validation (StartValidation) on its own file with the change applied (issue 16 item 2).
/// </summary>
public sealed class ConfigSetCheckDaemonTests
{
    [Fact]
    public async Task ConfigSet_FencingOnWhileN2HasNoSecretsFile_Exit1NamingN2_AndNothingChanged()
    {
        using var dir = new TempDir();
        var secrets = dir.WriteConfig("secrets.conf", "");
        var cluster = $$"""
            {{SimulatedPeers.ClusterConfig}}
            split-brain-resolver.stable-after = 300ms
            """;
        // n2's own file has the devices but no secrets file: with fencing on it could not start. n3 runs with the daemon's file.
        var n2File = HoconParser.Parse($$"""
            haven {
              {{cluster}}
              fencing { devices { pdu { type = pool } }, topology { "*" = [[pdu]] } }
            }
            """, "/etc/haven/n2.conf");
        await using var peers = new SimulatedPeers { PeerOptions = o => o.Self.Name == "n2" ? o with { HostConfig = n2File } : o };
        var socket = dir.File("haven.sock");
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              {{cluster}}
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{socket}}"
              logging { console = off, file.path = "{{dir.File("haven.log")}}" }
              fencing { secrets-file = "{{secrets}}", devices { pdu { type = pool } }, topology { "*" = [[pdu]] } }
            }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config, peers.Overrides);
        await WaitForPrimaryOfThreeAsync(daemon);

        var (code, _, err) = await CliRunner.RunAsync("config", "set", "haven.fencing.enabled", "on", "--socket", socket).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 1, $"exit {code}: {err}");
        Assert.True(err.Contains($"n2 refuses the change of haven.fencing.enabled: {StartValidation.SecretsFileKey}", StringComparison.Ordinal), err);
        Assert.Contains("nothing was changed on any host", err);
        Assert.DoesNotContain("n3 refuses", err);
        Assert.DoesNotContain("n1 refuses", err);
        Assert.False((await ClusterApi.ViewAsync(daemon.State)).State.Settings.ContainsKey("haven.fencing.enabled"));

        // A change every host can use is applied.
        var (ok, output, okErr) = await CliRunner.RunAsync("config", "set", "haven.heuristics.attempts", "4", "--socket", socket).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(ok == 0, okErr);
        Assert.StartsWith("haven.heuristics.attempts = 4 cluster-wide", output);
        Assert.Equal("4", (await ClusterApi.ViewAsync(daemon.State)).State.Settings["haven.heuristics.attempts"]);
        Assert.Equal(0, await daemon.StopAsync());
    }

    private static async Task WaitForPrimaryOfThreeAsync(RunningDaemon daemon)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < until)
        {
            var view = await ClusterApi.ViewAsync(daemon.State);
            if (view.Role == PartitionRole.Primary && view.Members.Length == 3 && view.Dc is not null) return;
            await Task.Delay(100);
        }
        Assert.Fail("the three hosts did not form a primary partition");
    }
}
