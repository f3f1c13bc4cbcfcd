using System.Text.Json;

namespace Haven.Host.Tests;

/// <summary>`haven node standby|unstandby`, `haven maintenance on|off` and `haven ip list|move` against a one-host daemon.</summary>
public class NodeModeVerbTests
{
    /// <summary>An interface no machine has: taking an address on it fails (and is retried), so no real interface is ever changed.</summary>
    internal const string NoSuchInterface = "hvnotreal0";

    internal static string Config(TempDir dir, string addresses = "") => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          logging { console = off, file.path = "{{dir.File("haven.log")}}" }
          ips.public-addresses = [{{addresses}}]
        }
        """);

    private static async Task<JsonElement> MemberAsync(TempDir dir)
    {
        var (code, json, err) = await CliRunner.RunAsync("cluster", "status", "--json", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        return Assert.Single(JsonDocument.Parse(json).RootElement.GetProperty("members").EnumerateArray());
    }

    private static async Task<JsonElement[]> IpsAsync(TempDir dir)
    {
        var (code, json, err) = await CliRunner.RunAsync("ip", "list", "--json", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        return [.. JsonDocument.Parse(json).RootElement.EnumerateArray()];
    }

    [Fact]
    public async Task NodeStandby_TheOnlyNode_IsAcceptedAndShownByClusterStatusAndIpList()
    {
        Assert.False(Directory.Exists($"/sys/class/net/{NoSuchInterface}"), $"the test needs {NoSuchInterface} not to exist");
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, $"{{ address = \"192.0.2.77/24\", interface = {NoSuchInterface} }}"));
        await daemon.WaitForEventAsync("cluster.takeip.v1");
        var held = Assert.Single(await IpsAsync(dir));
        Assert.Equal(("solo", "held"), (held.GetProperty("node").GetString(), held.GetProperty("state").GetString()));

        var (code, output, err) = await CliRunner.RunAsync("node", "standby", "solo", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        Assert.Contains("solo is going to standby", output);
        await daemon.WaitForEventAsync("cluster.node-standby.v1");

        Assert.Equal("standby", (await MemberAsync(dir)).GetProperty("state").GetString());
        var ip = Assert.Single(await IpsAsync(dir));
        Assert.Equal("192.0.2.77/24", ip.GetProperty("address").GetString());
        Assert.Equal(NoSuchInterface, ip.GetProperty("interface").GetString());
        Assert.Equal("solo", ip.GetProperty("node").GetString()); // nobody else can take it
        Assert.Equal("standby", ip.GetProperty("state").GetString());
        var (_, table, _) = await CliRunner.RunAsync("cluster", "status", "--socket", dir.File("haven.sock"));
        Assert.Contains("standby", table);

        var ups = await daemon.CountEventsAsync("cluster.node-up.v1"); // the start journaled one already
        var (back, backOut, backErr) = await CliRunner.RunAsync("node", "unstandby", "solo", "--socket", dir.File("haven.sock"));
        Assert.True(back == 0, backErr);
        Assert.Contains("leaves standby", backOut);
        await daemon.WaitForAnotherEventAsync("cluster.node-up.v1", ups);
        Assert.Equal("up", (await MemberAsync(dir)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task NodeUnstandby_ANodeThatIsUp_IsRefusedWithItsState()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var (code, _, err) = await CliRunner.RunAsync("node", "unstandby", "solo", "--socket", dir.File("haven.sock"));
        Assert.Equal(1, code);
        Assert.Contains("node solo is up: it cannot leave standby", err);
    }

    [Theory]
    [InlineData("node", "standby", "ghost")]
    [InlineData("node", "unstandby", "ghost")]
    [InlineData("maintenance", "on", "--node", "ghost")]
    public async Task NodeModes_UnknownNode_Exit1NamingTheKnownNodes(params string[] verb)
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var (code, output, err) = await CliRunner.RunAsync([.. verb, "--socket", dir.File("haven.sock")]);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("haven: unknown node 'ghost' (nodes: solo)", err.Trim());
        Assert.Equal("up", (await MemberAsync(dir)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Maintenance_OnAndOffForTheWholeCluster_RoundTrips()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");

        var (on, onOut, onErr) = await CliRunner.RunAsync("maintenance", "on", "--socket", dir.File("haven.sock"));
        Assert.True(on == 0, onErr);
        Assert.Contains("maintenance on for solo", onOut);
        await daemon.WaitForEventAsync("cluster.node-maintenance.v1");
        Assert.Equal("maintenance", (await MemberAsync(dir)).GetProperty("state").GetString());

        var (again, _, againErr) = await CliRunner.RunAsync("maintenance", "on", "--socket", dir.File("haven.sock"));
        Assert.Equal(1, again);
        Assert.Contains("no node can enter maintenance", againErr);

        var ups = await daemon.CountEventsAsync("cluster.node-up.v1"); // the start journaled one already
        var (off, offOut, offErr) = await CliRunner.RunAsync("maintenance", "off", "--node", "solo", "--socket", dir.File("haven.sock"));
        Assert.True(off == 0, offErr);
        Assert.Contains("maintenance off for solo", offOut);
        await daemon.WaitForAnotherEventAsync("cluster.node-up.v1", ups);
        Assert.Equal("up", (await MemberAsync(dir)).GetProperty("state").GetString());

        var (offAgain, _, offAgainErr) = await CliRunner.RunAsync("maintenance", "off", "--socket", dir.File("haven.sock"));
        Assert.Equal(1, offAgain);
        Assert.Contains("no node is in maintenance", offAgainErr);
    }

    [Fact]
    public async Task IpList_NoAddressesConfigured_IsAnEmptyArrayAndASentence()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        Assert.Empty(await IpsAsync(dir));
        var (code, output, _) = await CliRunner.RunAsync("ip", "list", "--socket", dir.File("haven.sock"));
        Assert.Equal(0, code);
        Assert.Contains("no public addresses", output);
    }

    [Fact]
    public async Task IpList_TwoAddresses_ListsEachWithInterfaceHolderAndState()
    {
        Assert.False(Directory.Exists($"/sys/class/net/{NoSuchInterface}"), $"the test needs {NoSuchInterface} not to exist");
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir,
            $"{{ address = \"192.0.2.78/24\", interface = {NoSuchInterface} }}, {{ address = \"198.51.100.9/32\", interface = {NoSuchInterface}, group = g }}"));
        await daemon.WaitForEventAsync("cluster.ipreallocated.v1");

        var ips = await IpsAsync(dir);
        Assert.Equal(["192.0.2.78/24", "198.51.100.9/32"], ips.Select(i => i.GetProperty("address").GetString()));
        foreach (var ip in ips)
        {
            Assert.Equal(["address", "interface", "node", "state"], ip.EnumerateObject().Select(p => p.Name));
            Assert.Equal((NoSuchInterface, "solo", "held"),
                (ip.GetProperty("interface").GetString(), ip.GetProperty("node").GetString(), ip.GetProperty("state").GetString()));
        }
        var (code, table, _) = await CliRunner.RunAsync("ip", "list", "--socket", dir.File("haven.sock"));
        Assert.Equal(0, code);
        Assert.Contains("ADDRESS", table);
        Assert.Contains("198.51.100.9/32", table);
    }

    [Theory]
    [InlineData("203.0.113.5", "solo", "203.0.113.5 is not a public address of this cluster")]
    [InlineData("not-an-ip", "solo", "'not-an-ip' is not an IP address")]
    [InlineData("192.0.2.79", "ghost", "unknown node 'ghost' (nodes: solo)")]
    [InlineData("192.0.2.79", "solo", "192.0.2.79 is already on solo")]
    public async Task IpMove_RefusedMove_Exits1WithTheReason(string address, string node, string message)
    {
        Assert.False(Directory.Exists($"/sys/class/net/{NoSuchInterface}"), $"the test needs {NoSuchInterface} not to exist");
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, $"{{ address = \"192.0.2.79/24\", interface = {NoSuchInterface} }}"));
        await daemon.WaitForEventAsync("cluster.takeip.v1");
        var (code, output, err) = await CliRunner.RunAsync("ip", "move", address, node, "--socket", dir.File("haven.sock"));
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains(message, err);
    }

    [Theory]
    [InlineData("ip", "move", "192.0.2.1")]
    [InlineData("node", "standby")]
    [InlineData("maintenance")]
    [InlineData("maintenance", "on", "--node")]
    public async Task Verbs_MissingArguments_AreUsageErrors(params string[] args)
    {
        var (code, _, err) = await CliRunner.RunAsync(args);
        Assert.Equal(2, code);
        Assert.NotEqual("", err);
    }

    [Fact]
    public async Task MaintenanceOn_EmptyNodeName_IsAUsageError()
    {
        var (code, _, err) = await CliRunner.RunAsync("maintenance", "on", "--node", "");
        Assert.Equal(2, code);
        Assert.Contains("--node needs a node name", err);
    }

    [Fact]
    public async Task IpList_NoDaemon_Exits1NamingTheSocket()
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliRunner.RunAsync("ip", "list", "--socket", dir.File("none.sock"));
        Assert.Equal(1, code);
        Assert.Contains($"no haven daemon at {dir.File("none.sock")}", err);
    }
}
