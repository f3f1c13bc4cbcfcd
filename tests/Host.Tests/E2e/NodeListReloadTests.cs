using System.Globalization;

namespace Haven.Host.Tests.E2e;

/// <summary>
/// corosync's nodelist changed while the daemons run (corosync.conf edited on every host, then
/// <c>corosync-cfgtool -R</c>): Haven takes the new node without restarting a daemon, and refuses a change that
/// no longer matches a given haven.cluster.nodes, saying so in health.
/// </summary>
[Collection("e2e")]
public class NodeListReloadTests
{
    [Fact]
    public async Task FourthHostAddedAndCorosyncReloaded_JoinsUpWithoutRestartingTheOthers()
    {
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s", "--no-nodes");
        await RealClusterTests.FormedAsync(cluster);
        var pids = Enumerable.Range(1, 3).Select(DaemonPid).ToArray();

        await cluster.HarnessAsync("add-host", "4");
        var (code, stdout, stderr) = await cluster.ExecAsync(1, "corosync-cfgtool", "-R");
        Assert.True(code == 0, $"corosync-cfgtool -R failed: {stderr}{stdout}");
        await E2eCluster.WaitForAsync(() => CorosyncNodeListTests.NodeListCheckAsync(cluster, 1), c => c.Status == "success" && c.Reason.StartsWith("4 nodes", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "n1 to take corosync's reloaded nodelist of 4 nodes");
        await cluster.HarnessAsync("start", "4");

        var all = await E2eCluster.WaitForAsync(() => Task.WhenAll(Enumerable.Range(1, 4).Select(cluster.StatusAsync)),
            s => s.All(h => h.Partition == "primary" && h.States.GetValueOrDefault("n4") == "up") && s.Select(h => h.Digest).Distinct().Count() == 1,
            TimeSpan.FromSeconds(90), "every host, n4 included, to show n4 up with identical digests");

        Assert.All(all, s => Assert.Equal(["n1", "n2", "n3", "n4"], s.States.Keys.Order()));
        Assert.Equal(pids, Enumerable.Range(1, 3).Select(DaemonPid).ToArray()); // the old daemons were not restarted
        Assert.All(pids, p => Assert.True(Directory.Exists($"/proc/{p}"), $"daemon {p} is gone"));
        foreach (var host in new[] { 1, 2, 3 })
        {
            // Each host adopts the reload on its own poll (every 2 s); n4's admission is the DC's, so it may be up first.
            await E2eCluster.WaitForAsync(() => CorosyncNodeListTests.NodeListCheckAsync(cluster, host),
                c => c.Status == "success" && c.Reason.StartsWith("4 nodes", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"n{host} to take the nodelist of 4 nodes");
            var changed = await E2eCluster.WaitForAsync(() => Task.FromResult(System.Text.RegularExpressions.Regex.Matches(E2eCluster.ReadLog(cluster.Log(host)),
                "Node list of haven-\\w+ changed: added n4 \\(4\\); removed none").Count), n => n > 0, TimeSpan.FromSeconds(10), $"n{host} to log the change");
            Assert.Equal(1, changed);
        }
        var joined = (await cluster.ClusterEventsAsync(2)).Where(e => e.Type == "cluster.node-joined.v1").Select(e => e.Fields.GetProperty("name").GetString());
        Assert.Equal(["n1", "n2", "n3", "n4"], joined.Order());

        int DaemonPid(int host) => int.Parse(File.ReadAllText(Path.Combine(cluster.HostDir(host), "daemon.pid")).Trim(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task NodeAddedButHavenClusterNodesGiven_KeepsTheOldListAndHealthSaysWhy()
    {
        await using var cluster = await E2eCluster.UpAsync(2, "--token", "500", "--stable-after", "1s");
        await RealClusterTests.FormedAsync(cluster);
        Assert.Equal("success", (await CorosyncNodeListTests.NodeListCheckAsync(cluster, 1)).Status);

        foreach (var host in new[] { 1, 2 })
        {
            var conf = Path.Combine(cluster.HostDir(host), "corosync.conf");
            var text = File.ReadAllText(conf);
            var end = text.LastIndexOf('}'); // the nodelist is the last section
            File.WriteAllText(conf, text[..end] + "node {\nring0_addr: 10.213.0.3\nnodeid: 3\nname: n3\n}\n}\n");
        }
        var (code, stdout, stderr) = await cluster.ExecAsync(1, "corosync-cfgtool", "-R");
        Assert.True(code == 0, $"corosync-cfgtool -R failed: {stderr}{stdout}");

        var check = await E2eCluster.WaitForAsync(() => CorosyncNodeListTests.NodeListCheckAsync(cluster, 1), c => c.Reason.Contains("cannot be taken"), TimeSpan.FromSeconds(20),
            "n1's health to say the reloaded nodelist cannot be taken");
        Assert.Equal("warning", check.Status);
        Assert.Equal("corosync's nodelist changed but cannot be taken: haven.cluster.nodes: does not match corosync's nodelist: n3 (nodeid 3) is in corosync's nodelist but not in haven.cluster.nodes; "
            + "make them the same, or remove haven.cluster.nodes to use corosync's; Haven keeps running on n1 (1), n2 (2)", check.Reason);
        await Task.Delay(TimeSpan.FromSeconds(5)); // more polls: the refusal is logged once, not every 2 s
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(E2eCluster.ReadLog(cluster.Log(1)), "nodelist changed but cannot be taken"));
        var status = await cluster.StatusAsync(1);
        Assert.Equal(["n1", "n2"], status.States.Keys.Order());
        Assert.Equal("primary", status.Partition);
    }

    [Fact]
    public async Task RunningHostRemovedAndReloaded_IsNotTakenForOff_StaysDownAndHealthSaysSo()
    {
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s", "--no-nodes");
        await RealClusterTests.FormedAsync(cluster);

        foreach (var host in new[] { 1, 2 })
        {
            var conf = Path.Combine(cluster.HostDir(host), "corosync.conf");
            File.WriteAllText(conf, File.ReadAllText(conf).Replace("node {\nring0_addr: 10.213.0.3\nnodeid: 3\nname: n3\n}\n", "", StringComparison.Ordinal));
        }
        var (code, stdout, stderr) = await cluster.ExecAsync(1, "corosync-cfgtool", "-R");
        Assert.True(code == 0, $"corosync-cfgtool -R failed: {stderr}{stdout}");

        // corosync drops the running n3 at the reload; Haven takes the list, but n3 was never confirmed off.
        await E2eCluster.WaitForAsync(() => CorosyncNodeListTests.NodeListCheckAsync(cluster, 1), c => c.Status == "success" && c.Reason.StartsWith("2 nodes", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "n1 to take corosync's nodelist without n3");
        var status = await E2eCluster.WaitForAsync(() => cluster.StatusAsync(1), s => s.States.GetValueOrDefault("n3") == "down", TimeSpan.FromSeconds(30), "n1 to show n3 down");
        Assert.Equal("primary", status.Partition);
        Assert.DoesNotContain(await cluster.ClusterEventsAsync(1), e => e.Type.StartsWith("cluster.fence-confirmed", StringComparison.Ordinal));
        var (_, health, _) = await CliRunner.RunAsync("health", "--json", "--socket", cluster.Socket(1));
        var peer = System.Text.Json.JsonDocument.Parse(health).RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "peer n3");
        Assert.Equal("error", peer.GetProperty("status").GetString());
        Assert.StartsWith("removed from the node list while down, never confirmed off", peer.GetProperty("reason").GetString());
        Assert.Contains("Node list of haven-", E2eCluster.ReadLog(cluster.Log(1)));
    }
}
