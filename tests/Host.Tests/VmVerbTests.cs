using System.Text.Json;

namespace Haven.Host.Tests;

/// <summary>`haven vm …`: input checks before the daemon is asked, and the commands against a one-host daemon.</summary>
public class VmVerbTests
{
    private static string Config(TempDir dir) => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          logging.console = off
        }
        """);

    private static Task<(int Code, string Out, string Err)> Add(TempDir dir, params string[] args) =>
        CliRunner.RunAsync(["vm", "add", .. args, "--socket", dir.File("haven.sock")]);

    [Theory]
    [InlineData("ab", "process", "too short")]
    [InlineData("web_01", "process", "'_'")]
    public async Task VmAdd_BadName_RefusedWithoutTheDaemon(string name, string hypervisor, string expected)
    {
        using var dir = new TempDir();

        var (code, _, err) = await Add(dir, name, "--hypervisor", hypervisor, "--config", "sleep 100");

        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Theory]
    [InlineData("0", "VM WEB-01: OpenVZ CTID 0 is out of range (1..2147483647; 0 is the host itself)")]
    [InlineData("99999999999", "VM WEB-01: OpenVZ CTID 99999999999 is out of range (1..2147483647; 0 is the host itself)")]
    [InlineData("--fast", "VM WEB-01: OpenVZ CTID '--fast' is neither a number (1..2147483647) nor a container name (letters, digits, -, _ and ., at most 64)")]
    [InlineData("101 102", "VM WEB-01: OpenVZ CTID '101 102' is neither a number (1..2147483647) nor a container name (letters, digits, -, _ and ., at most 64)")]
    public async Task VmAdd_OpenVzCtidNotUsable_RefusedWithoutTheDaemon(string ctid, string expected)
    {
        using var dir = new TempDir();

        var (code, _, err) = await Add(dir, "web-01", "--hypervisor", "openvz", "--config", ctid);

        Assert.Equal(2, code);
        Assert.Equal("haven: " + expected, err.Trim());
    }

    [Theory]
    [InlineData("node 2=100", "VM WEB-01: --prefer node 2=100: invalid node name \"node 2\"; use one or more letters, digits, '.', '_' or '-'")]
    [InlineData("nöde=-1000000", "VM WEB-01: --prefer nöde=-1000000: invalid node name \"nöde\"; use one or more letters, digits, '.', '_' or '-'")]
    public async Task VmAdd_PreferenceWithAnInvalidNodeName_RefusedWithoutTheDaemon(string prefer, string expected)
    {
        using var dir = new TempDir();

        var (code, _, err) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "x", "--prefer", prefer);

        Assert.Equal(2, code);
        Assert.Equal("haven: " + expected, err.Trim());
    }

    [Fact]
    public async Task VmAdd_NegativeMemoryOrBadPreference_Refused()
    {
        using var dir = new TempDir();

        var (memoryCode, _, memoryErr) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "x", "--memory", "-5");
        var (preferCode, _, preferErr) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "x", "--prefer", "node2");

        Assert.Equal((2, 2), (memoryCode, preferCode));
        Assert.Contains("memory utilization -5", memoryErr);
        Assert.Contains("NODE=SCORE", preferErr);
    }

    [Fact]
    public async Task VmAdd_LibvirtConfigMissing_Refused()
    {
        using var dir = new TempDir();

        var (code, _, err) = await Add(dir, "web-01", "--hypervisor", "libvirt", "--config", dir.File("nope.xml"));

        Assert.Equal(2, code);
        Assert.Contains("does not exist", err);
    }

    [Fact]
    public async Task VmAdd_LibvirtConfigThroughSymlink_Refused()
    {
        using var dir = new TempDir();
        var real = dir.WriteConfig("web.xml", "<domain><devices/></domain>");
        File.CreateSymbolicLink(dir.File("link.xml"), real);

        var (code, _, err) = await Add(dir, "web-01", "--hypervisor", "libvirt", "--config", dir.File("link.xml"));

        Assert.Equal(2, code);
        Assert.Contains("symlink", err);
    }

    [Fact]
    public async Task VmAdd_DiskImageThroughSymlink_Refused()
    {
        using var dir = new TempDir();
        var image = dir.WriteConfig("disk.img", "");
        File.CreateSymbolicLink(dir.File("disk-link.img"), image);
        var xml = dir.WriteConfig("web.xml", $"<domain><devices><disk type='file'><source file='{dir.File("disk-link.img")}'/></disk></devices></domain>");

        var (code, _, err) = await Add(dir, "web-01", "--hypervisor", "libvirt", "--config", xml);

        Assert.Equal(2, code);
        Assert.Contains("disk image", err);
        Assert.Contains("symlink", err);
    }

    [Fact]
    public async Task VmCommands_AgainstADaemon_AddListLocateExplainHaAndRefusals()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var socket = dir.File("haven.sock");

        var (addCode, added, addErr) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "sleep 1000", "--cpu", "1", "--memory", "256",
            "--prefer", "solo=100", "--no-ha", "--stopped");
        Assert.True(addCode == 0, addErr);
        Assert.Contains("WEB-01", added);

        var (listCode, list, _) = await CliRunner.RunAsync("vm", "list", "--json", "--socket", socket);
        Assert.Equal(0, listCode);
        var vm = Assert.Single(JsonDocument.Parse(list).RootElement.EnumerateArray());
        Assert.Equal(["name", "node", "state", "desired", "ha"], vm.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("WEB-01", "stopped", "stopped", false),
            (vm.GetProperty("name").GetString(), vm.GetProperty("state").GetString(), vm.GetProperty("desired").GetString(), vm.GetProperty("ha").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, vm.GetProperty("node").ValueKind);

        var (haCode, _, haErr) = await CliRunner.RunAsync("vm", "ha", "WEB-01", "on", "--socket", socket);
        Assert.True(haCode == 0, haErr);
        var (_, locate, _) = await CliRunner.RunAsync("vm", "locate", "web-01", "--json", "--socket", socket);
        Assert.True(JsonDocument.Parse(locate).RootElement.GetProperty("ha").GetBoolean());

        var (explainCode, explain, _) = await CliRunner.RunAsync("vm", "explain", "WEB-01", "--socket", socket);
        Assert.Equal(0, explainCode);
        Assert.Contains("WEB-01: target role is Stopped", explain);

        var (againCode, _, againErr) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "sleep 1000");
        Assert.NotEqual(0, againCode);
        Assert.Contains("already managed", againErr);
        var (migrateCode, _, migrateErr) = await CliRunner.RunAsync("vm", "migrate", "WEB-01", "elsewhere", "--socket", socket);
        Assert.NotEqual(0, migrateCode);
        Assert.Contains("unknown node 'elsewhere'", migrateErr);
        var (unknownCode, _, unknownErr) = await CliRunner.RunAsync("vm", "locate", "nope-1", "--socket", socket);
        Assert.NotEqual(0, unknownCode);
        Assert.Contains("not managed", unknownErr);

        // pcs refuses a location constraint on a node not in the cluster; so does vm add, naming the option and the nodes
        var (ghostCode, _, ghostErr) = await Add(dir, "db-01", "--hypervisor", "process", "--config", "sleep 1000", "--prefer", "ghost=100");
        Assert.NotEqual(0, ghostCode);
        Assert.Equal("haven: VM DB-01: --prefer ghost=100: node \"ghost\" is not a node of this cluster (known: solo)", ghostErr.Trim());

        var (partnerCode, _, partnerErr) = await Add(dir, "db-01", "--hypervisor", "process", "--config", "sleep 1000", "--no-ha", "--apart", "ghost-1");
        Assert.NotEqual(0, partnerCode);
        Assert.Contains("unknown VM 'GHOST-1'", partnerErr);
        var (withCode, _, withErr) = await Add(dir, "db-01", "--hypervisor", "process", "--config", "sleep 1000", "--no-ha", "--stopped",
            "--with", "web-01=200", "--group", "shop", "--order", "1", "--start-delay", "10s");
        Assert.True(withCode == 0, withErr);
        var (_, dbExplain, _) = await CliRunner.RunAsync("vm", "explain", "DB-01", "--socket", socket);
        Assert.Contains("group SHOP, order 1, start delay 10s", dbExplain);
        var (_, dbLocate, _) = await CliRunner.RunAsync("vm", "locate", "db-01", "--json", "--socket", socket);
        var db = JsonDocument.Parse(dbLocate).RootElement;
        Assert.Equal(("WEB-01", 200), (db.GetProperty("with")[0].GetProperty("vm").GetString(), db.GetProperty("with")[0].GetProperty("score").GetInt32()));
        Assert.Equal(("SHOP", 1, 10.0), (db.GetProperty("group").GetString(), db.GetProperty("order").GetInt32(), db.GetProperty("startDelaySeconds").GetDouble()));
    }

    [Fact]
    public async Task VmManageUnmanageCleanup_AgainstADaemon()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var socket = dir.File("haven.sock");
        var (addCode, _, addErr) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "sleep 1000", "--no-ha", "--stopped");
        Assert.True(addCode == 0, addErr);

        var (unmanageCode, unmanaged, unmanageErr) = await CliRunner.RunAsync("vm", "unmanage", "web-01", "--socket", socket);
        Assert.True(unmanageCode == 0, unmanageErr);
        Assert.Contains("VM WEB-01 is unmanaged now", unmanaged);
        var (_, locate, _) = await CliRunner.RunAsync("vm", "locate", "WEB-01", "--socket", socket);
        Assert.Contains("(unmanaged)", locate);
        var (againCode, _, againErr) = await CliRunner.RunAsync("vm", "unmanage", "WEB-01", "--socket", socket);
        Assert.NotEqual(0, againCode);
        Assert.Contains("already unmanaged", againErr);
        var (onFailCode, _, onFailErr) = await Add(dir, "db-01", "--hypervisor", "process", "--config", "sleep 1000", "--no-ha", "--stopped",
            "--on-fail", "monitor=block", "--on-fail", "stop=fence", "--multiple-active", "block");
        Assert.True(onFailCode == 0, onFailErr);
        var (_, dbLocate, _) = await CliRunner.RunAsync("vm", "locate", "DB-01", "--socket", socket);
        Assert.Contains("on-fail: monitor=block,stop=fence", dbLocate);
        Assert.Contains("multiple-active: block", dbLocate);
        var (_, webLocate, _) = await CliRunner.RunAsync("vm", "locate", "WEB-01", "--socket", socket);
        Assert.DoesNotContain("multiple-active", webLocate); // the default is not printed
        var (manageCode, _, manageErr) = await CliRunner.RunAsync("vm", "manage", "WEB-01", "--socket", socket);
        Assert.True(manageCode == 0, manageErr);
        var (_, json, _) = await CliRunner.RunAsync("vm", "locate", "WEB-01", "--json", "--socket", socket);
        var vm = JsonDocument.Parse(json).RootElement;
        Assert.True(vm.GetProperty("managed").GetBoolean());
        Assert.Empty(vm.GetProperty("failCounts").EnumerateObject());

        var (cleanCode, _, cleanErr) = await CliRunner.RunAsync("vm", "cleanup", "WEB-01", "--socket", socket);
        Assert.NotEqual(0, cleanCode);
        Assert.Contains("VM WEB-01 has no failures to clean up", cleanErr);
        var (ghostCode, _, ghostErr) = await CliRunner.RunAsync("vm", "cleanup", "WEB-01", "--node", "ghost", "--socket", socket);
        Assert.NotEqual(0, ghostCode);
        Assert.Contains("unknown node 'ghost'", ghostErr);
    }

    [Theory]
    [InlineData("--with", "web-01", "names the VM itself")]
    [InlineData("--apart", "db-01=abc", "is not VM or VM=SCORE")]
    [InlineData("--apart", "db-01=0", "score 0 is out of range")]
    [InlineData("--with", "x=5", "too short")]
    public async Task VmAdd_BadConstraint_RefusedWithoutTheDaemon(string option, string value, string expected)
    {
        using var dir = new TempDir();

        var (code, _, err) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "x", option, value);

        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Theory]
    [InlineData("--order", "2", "needs a group")]
    [InlineData("--start-delay", "soon", "not a duration")]
    [InlineData("--multiple-active", "stop", "--multiple-active 'stop' is not stop_start, stop_only or block")]
    public async Task VmAdd_BadGroupInput_Refused(string option, string value, string expected)
    {
        using var dir = new TempDir();

        var (code, _, err) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "x", option, value);

        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Theory]
    [InlineData("monitor", "is not OP=ACTION")]
    [InlineData("reload=block", "is not OP=ACTION")]
    [InlineData("monitor=explode", "'explode' is not one of")]
    [InlineData("stop=ignore", "on-fail for stop must be block or fence")]
    public async Task VmAdd_BadOnFail_RefusedWithoutTheDaemon(string value, string expected)
    {
        using var dir = new TempDir();

        var (code, _, err) = await Add(dir, "web-01", "--hypervisor", "process", "--config", "x", "--on-fail", value);

        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }
}
