namespace Haven.Host.Tests.E2e;

/// <summary>
/// With transport = corosync the node list comes from corosync's nodelist (cmap), as in Pacemaker:
/// haven.cluster.nodes may be left out, and a list that contradicts corosync's refuses the start.
/// </summary>
[Collection("e2e")]
public class CorosyncNodeListTests
{
    [Fact]
    public async Task NoNodesConfigured_ClusterFormsFromCorosyncsNodelist()
    {
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s", "--no-nodes");
        Assert.DoesNotContain("nodes", File.ReadAllText(Path.Combine(cluster.HostDir(1), "haven.conf")));

        var all = await RealClusterTests.FormedAsync(cluster);

        Assert.All(all, s => Assert.Equal(["n1", "n2", "n3"], s.States.Keys.Order()));
        Assert.Contains("Node list from corosync's nodelist: n1 (1), n2 (2), n3 (3)", E2eCluster.ReadLog(cluster.Log(2)));
    }

    [Fact]
    public async Task NodesConfiguredDifferently_DaemonRefusesToStartNamingTheDifference()
    {
        await using var cluster = await E2eCluster.UpAsync(2, "--token", "500", "--no-nodes");
        await RealClusterTests.FormedAsync(cluster);
        var dir = Path.Combine(cluster.StateDir, "mismatch");
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "haven.conf");
        File.WriteAllText(config, $$"""
            haven {
              cluster { name = "haven-{{cluster.Run}}", node-name = n1, transport = corosync, nodes = [{ name = n1, id = 1 }, { name = n2, id = 5 }, { name = n4, id = 4 }] }
              journal.sqlite.path = "{{dir}}/journal.db"
              control.socket = "{{dir}}/haven.sock"
              logging.console = off
            }
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Bounded: were the daemon to start, `timeout` ends it instead of leaving it behind.
        var (code, _, stderr) = await cluster.ExecAsync(1, "timeout", "-s", "KILL", "60", "dotnet", Path.Combine(AppContext.BaseDirectory, "haven.dll"),
            "daemon", "--config", config);

        Assert.Equal(1, code);
        Assert.Contains("haven.cluster.nodes: does not match corosync's nodelist", stderr);
        Assert.Contains("n2 has id 5 in haven.cluster.nodes but nodeid 2 in corosync's nodelist", stderr);
        Assert.Contains("n4 (id 4) is in haven.cluster.nodes but not in corosync's nodelist", stderr);
        Assert.False(File.Exists(Path.Combine(dir, "journal.db")), "the refused daemon opened its journal");
        // The cluster that runs from corosync's list is untouched.
        Assert.All(await Task.WhenAll(cluster.StatusAsync(1), cluster.StatusAsync(2)), s => Assert.Equal("primary", s.Partition));
    }

    [Fact]
    public async Task NodesGivenWhileCorosyncIsDown_TransportRefusesToJoinOnceItSeesTheDifference()
    {
        await using var cluster = await E2eCluster.UpAsync(1, "--token", "500", "--no-nodes");
        await cluster.HarnessAsync("corosync-stop", "1");
        var dir = Path.Combine(cluster.StateDir, "unchecked");
        Directory.CreateDirectory(dir);
        var log = Path.Combine(dir, "haven.log");
        var config = Path.Combine(dir, "haven.conf");
        File.WriteAllText(config, $$"""
            haven {
              cluster { name = "haven-{{cluster.Run}}", node-name = n1, transport = corosync, nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }] }
              journal.sqlite.path = "{{dir}}/journal.db"
              control.socket = "{{dir}}/haven.sock"
              logging { console = off, file.path = "{{log}}" }
            }
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var psi = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // Bounded: `timeout` ends the daemon should the test not get to.
        foreach (var a in new[] { "netns", "exec", $"hv-{cluster.Run}-n1", "timeout", "-s", "KILL", "120", "dotnet", Path.Combine(AppContext.BaseDirectory, "haven.dll"), "daemon", "--config", config })
            psi.ArgumentList.Add(a);
        using var daemon = System.Diagnostics.Process.Start(psi)!;
        try
        {
            await E2eCluster.WaitForAsync(() => Task.FromResult(E2eCluster.ReadLog(log)), l => l.Contains("Cannot read corosync's nodelist"), TimeSpan.FromSeconds(60),
                "the daemon to start with haven.cluster.nodes unchecked");
            await cluster.HarnessAsync("corosync-start", "1");

            var text = await E2eCluster.WaitForAsync(() => Task.FromResult(E2eCluster.ReadLog(log)),
                l => l.Contains("haven.cluster.nodes does not match corosync's nodelist"), TimeSpan.FromSeconds(60), "the transport to refuse the mismatching list");
            Assert.Contains("n2 (id 2) is in haven.cluster.nodes but not in corosync's nodelist", text);
            Assert.DoesNotContain("Connected to corosync", text);
        }
        finally
        {
            daemon.Kill(entireProcessTree: true);
            await daemon.WaitForExitAsync();
        }
    }

    internal static async Task<(string Status, string Reason)> NodeListCheckAsync(E2eCluster cluster, int host)
    {
        var (_, output, _) = await CliRunner.RunAsync("health", "--json", "--socket", cluster.Socket(host));
        var check = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "nodelist");
        return (check.GetProperty("status").GetString()!, check.GetProperty("reason").GetString()!);
    }
}
