namespace Haven.Host.Tests;

public class ConfigCheckTests
{
    [Fact]
    public async Task ConfigCheck_ValidFile_PrintsOk()
    {
        using var dir = new TempDir();
        var path = dir.DaemonConfig();
        var (code, output, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.True(code == 0, err);
        Assert.Contains($"{path}: OK", output);
    }

    [Fact]
    public async Task ConfigCheck_UnknownKey_SuggestsNearestKnownKey()
    {
        using var dir = new TempDir();
        var path = dir.WriteConfig("bad.conf", "haven {\n  jounral.provider = sqlite\n}\n");
        var (code, _, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.Equal(1, code);
        Assert.Contains("haven.jounral.provider", err);
        Assert.Contains("haven.journal.provider", err);
        Assert.Contains(":2:", err); // where it was written
    }

    [Fact]
    public async Task ConfigCheck_Malformed_NamesFileLineAndColumn()
    {
        using var dir = new TempDir();
        var path = dir.WriteConfig("broken.conf", "haven {\n  cluster.name = a\n  journal {\n");
        var (code, _, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.Equal(1, code);
        Assert.Matches(@"broken\.conf:\d+:\d+: ", err);
    }

    [Fact]
    public async Task ConfigCheck_WrongType_IsReported()
    {
        using var dir = new TempDir();
        var path = dir.WriteConfig("type.conf", "haven.logging.console = sometimes\n");
        var (code, _, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.Equal(1, code);
        Assert.Contains("haven.logging.console", err);
    }

    [Fact]
    public async Task ConfigCheck_BadNodeCapacity_NamesTheKeyAndFileLine()
    {
        using var dir = new TempDir();
        var path = dir.WriteConfig("vms.conf", """
            haven {
              cluster.nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }]
              cluster.node-name = n1
              vms.capacities {
                n1 { cpu = 16, memory = 64GiB }
                n2 { cpu = -4, memory = 64GiB }
                n3 { cpu = 8 }
              }
            }
            """);
        var (code, _, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.Equal(1, code);
        Assert.Contains($"{path}:6:", err);
        Assert.Contains("haven.vms.capacities.n2.cpu: -4 cores is out of range (1..4096)", err);
        Assert.Contains($"{path}:7:", err);
        Assert.Contains("haven.vms.capacities.n3: node n3 is not in haven.cluster.nodes (n1, n2)", err);
        Assert.Contains("2 problem(s)", err);
    }

    [Fact]
    public async Task ConfigCheck_GroupWritableFile_IsRefusedWithTheFix()
    {
        using var dir = new TempDir();
        var path = dir.WriteConfig("open.conf", "haven.cluster.name = x\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        var (code, _, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.Equal(1, code);
        Assert.Contains($"chmod go-w {path}", err);
        Assert.Contains("0660", err);
    }

    [Fact]
    public async Task ConfigCheck_MissingFile_SaysSo()
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliRunner.RunAsync("config", "check", dir.File("nope.conf"));
        Assert.Equal(1, code);
        Assert.Contains("no such file", err);
    }

    [Fact]
    public async Task ConfigCheck_EveryShippedExample_IsValid()
    {
        var examples = Path.Combine(RepoRoot(), "hocon", "examples");
        var all = Directory.GetFiles(examples, "*.conf");
        // fragments that other examples include are checked through them, not alone
        var files = all.Where(f => !all.Any(o => File.ReadAllText(o).Contains($"include \"{Path.GetFileName(f)}\""))).ToList();
        Assert.NotEmpty(files);
        using var dir = new TempDir();
        foreach (var file in files)
        {
            // copied so the permission check sees an owner-only file whatever the checkout's umask was
            var copy = dir.WriteConfig(Path.GetFileName(file), File.ReadAllText(file));
            var (code, _, err) = await CliRunner.RunAsync("config", "check", copy);
            Assert.True(code == 0, $"{file}: {err}");
        }
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Actors.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>`haven config check` warns, HA-Lizard-style, about a corosync cluster whose lost hosts' resources cannot move.</summary>
public class ConfigCheckFencingWarningTests
{
    [Fact]
    public async Task CorosyncClusterWithFencingOff_WarnsThatLostHostsResourcesWillNotMove()
    {
        using var dir = new TempDir();
        var path = dir.WriteConfig("haven.conf", "haven.cluster { name = lab, node-name = n1, transport = corosync }\n");

        var (code, output, err) = await CliRunner.RunAsync("config", "check", path);

        Assert.True(code == 0, err);
        Assert.Contains($"{path}: warning: fencing is off (haven.fencing.enabled = off): a lost host's addresses and VMs will not move to other hosts", output);
        Assert.Contains("haven fence confirm NODE", output);
        Assert.EndsWith($"{path}: OK", output.TrimEnd());
    }

    [Fact]
    public async Task CorosyncClusterRecoveringUnfenced_WarnsThatResourcesMayRunTwice()
    {
        using var dir = new TempDir();
        var path = dir.WriteConfig("haven.conf", "haven { cluster { name = lab, node-name = n1, transport = corosync }, fencing.recover-on-failure = on }\n");

        var (code, output, err) = await CliRunner.RunAsync("config", "check", path);

        Assert.True(code == 0, err);
        Assert.Contains("move to other hosts without it being fenced, and may then run twice", output);
    }

    [Fact]
    public async Task OneHostWithFencingOff_HasNothingToWarnAbout()
    {
        using var dir = new TempDir();
        var path = dir.DaemonConfig();

        var (code, output, err) = await CliRunner.RunAsync("config", "check", path);

        Assert.True(code == 0, err);
        Assert.DoesNotContain("warning", output);
    }
}
