using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

/// <summary>
/// The libvirt adapter in process against libvirt's test driver. test:///default keeps its state while
/// any connection in the process is open, so every domain here has a name of its own; node files give
/// each test a fresh host.
/// </summary>
public sealed class LibvirtHypervisorTests : IDisposable
{
    private const string RunState = "xmlns:test='http://libvirt.org/schemas/domain/test/1.0'";
    private readonly TempVmDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static CancellationToken Token => CancellationToken.None;

    private string DomainFile(string name, string disks = "") => dir.Write($"{name}.xml",
        $"<domain type='test'><name>{name}</name><memory>1024</memory><os><type>hvm</type></os><devices>{disks}</devices></domain>");

    private static VmDefinition Vm(string name, string config = "") => new(name, "libvirt", config);

    /// <summary>A test:///ABSOLUTE node file with one running domain, one paused and one shut off.</summary>
    private string NodeUri()
    {
        var node = dir.Write("node.xml", $"""
            <node>
              <cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2000</mhz><model>i686</model></cpu>
              <memory>2097152</memory>
              <domain type='test'><name>web</name><memory>1024</memory><os><type>hvm</type></os></domain>
              <domain type='test' {RunState}><name>db</name><memory>1024</memory><os><type>hvm</type></os><test:runstate>3</test:runstate></domain>
              <domain type='test' {RunState}><name>idle</name><memory>1024</memory><os><type>hvm</type></os><test:runstate>5</test:runstate></domain>
            </node>
            """);
        return "test://" + node;
    }

    [Fact]
    public async Task Status_DefaultTestDomain_Running()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test:///default" });

        var status = await libvirt.StatusAsync(Vm("test"), Token);

        Assert.Equal(VmPowerState.Running, status.State);
    }

    [Fact]
    public async Task Status_UnknownDomain_StoppedNotDefined()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri() });

        var status = await libvirt.StatusAsync(Vm("nosuch"), Token);

        Assert.Equal(new VmStatus(VmPowerState.Stopped, "not defined"), status);
    }

    [Fact]
    public async Task Status_NodeFileDomains_RunningPausedAndStopped()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri() });

        var web = await libvirt.StatusAsync(Vm("web"), Token);
        var db = await libvirt.StatusAsync(Vm("db"), Token);
        var idle = await libvirt.StatusAsync(Vm("idle"), Token);

        Assert.Equal(VmPowerState.Running, web.State);
        Assert.Equal(VmPowerState.Paused, db.State);
        Assert.Equal("paused: unknown", db.Detail); // the test driver gives no reason
        Assert.Equal(VmPowerState.Stopped, idle.State);
        Assert.StartsWith("shut off", idle.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartThenShutdown_TransientDomain_RunningThenGone()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test:///default" });
        var vm = Vm("haven-start-shutdown", DomainFile("haven-start-shutdown"));

        await libvirt.StartAsync(vm, Token);
        var running = await libvirt.StatusAsync(vm, Token);
        await libvirt.StartAsync(vm, Token); // already running: nothing to do
        await libvirt.ShutdownAsync(vm, Token);
        var after = await libvirt.StatusAsync(vm, Token);
        await libvirt.ShutdownAsync(vm, Token); // not defined any more: nothing to do

        Assert.Equal(VmPowerState.Running, running.State);
        Assert.Equal(VmPowerState.Stopped, after.State);
    }

    [Fact]
    public async Task Kill_RunningDomain_Stopped()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test:///default" });
        var vm = Vm("haven-kill", DomainFile("haven-kill"));
        await libvirt.StartAsync(vm, Token);

        await libvirt.KillAsync(vm, Token);
        await libvirt.KillAsync(vm, Token);

        Assert.Equal(VmPowerState.Stopped, (await libvirt.StatusAsync(vm, Token)).State);
    }

    [Fact]
    public async Task Kill_PersistentDomainOfNodeFile_ShutOffDestroyed()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri() });

        await libvirt.KillAsync(Vm("web"), Token);

        Assert.Equal(new VmStatus(VmPowerState.Stopped, "shut off: destroyed"), await libvirt.StatusAsync(Vm("web"), Token));
    }

    [Fact]
    public async Task Start_DiskErrorPolicy_SetOnEveryDiskOfTheLiveDomain()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test:///default", DiskErrorPolicy = DiskErrorPolicyKind.Enospace });
        var image = dir.Write("images/a.img", "");
        var vm = Vm("haven-policy", DomainFile("haven-policy",
            $"<disk type='file' device='disk'><source file='{image}'/><target dev='vda' bus='virtio'/></disk>" +
            $"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{image}'/><target dev='vdb' bus='virtio'/></disk>"));
        try
        {
            await libvirt.StartAsync(vm, Token);

            var xml = libvirt.LiveXml(vm)!;
            Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(xml, "error_policy='enospace'"));
        }
        finally
        {
            await libvirt.KillAsync(vm, Token);
        }
    }

    [Fact]
    public async Task Start_DiskThroughSymlink_RefusedAndNotCreated()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test:///default" });
        Directory.CreateDirectory(dir.File("real"));
        dir.Write("real/b.img", "");
        File.CreateSymbolicLink(dir.File("nfs"), dir.File("real"));
        var vm = Vm("haven-symlink", DomainFile("haven-symlink",
            $"<disk type='file' device='disk'><source file='{dir.File("nfs/b.img")}'/><target dev='vdc' bus='virtio'/></disk>"));

        var error = await Assert.ThrowsAsync<HypervisorException>(() => libvirt.StartAsync(vm, Token));

        Assert.Contains("VM haven-symlink", error.Message, StringComparison.Ordinal);
        Assert.Contains("disk vdc", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{dir.File("nfs")} is a symbolic link", error.Message, StringComparison.Ordinal);
        Assert.Equal(VmPowerState.Stopped, (await libvirt.StatusAsync(vm, Token)).State);
    }

    [Fact]
    public async Task Start_XmlNamesAnotherDomain_ClearError()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test:///default" });
        var vm = Vm("haven-wrong-name", DomainFile("other-name"));

        var error = await Assert.ThrowsAsync<HypervisorException>(() => libvirt.StartAsync(vm, Token));

        Assert.Contains("names the domain \"other-name\"; it must be \"haven-wrong-name\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MissingXmlFile_ErrorNamesVmAndFile()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test:///default" });
        var vm = Vm("haven-missing", dir.File("missing.xml"));

        var error = await Assert.ThrowsAsync<HypervisorException>(() => libvirt.StartAsync(vm, Token));

        Assert.Contains("VM haven-missing: cannot read domain XML", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing.xml", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InvalidDomainXml_LibvirtMessageInError()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test:///default" });
        var path = dir.Write("haven-bad.xml", "<domain type='nonsense'><name>haven-bad</name><memory>1024</memory><os><type>hvm</type></os></domain>");

        var error = await Assert.ThrowsAsync<HypervisorException>(() => libvirt.StartAsync(Vm("haven-bad", path), Token));

        Assert.StartsWith("VM haven-bad: libvirt create failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("nonsense", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_TestDriverRefuses_HypervisorExceptionAndStillRunning()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri(), MigrateUri = "test:///{node}" });

        var error = await Assert.ThrowsAsync<HypervisorException>(() => libvirt.MigrateAsync(Vm("web"), "node2", Token));

        Assert.StartsWith("VM web: live migration to node2 failed: ", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length > "VM web: live migration to node2 failed: ".Length);
        Assert.Equal(VmPowerState.Running, (await libvirt.StatusAsync(Vm("web"), Token)).State);
    }

    [Fact]
    public async Task Migrate_UnknownDomain_ClearError()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri() });

        var error = await Assert.ThrowsAsync<HypervisorException>(() => libvirt.MigrateAsync(Vm("nosuch"), "node2", Token));

        Assert.Equal("VM nosuch: cannot migrate to node2: the domain is not defined here", error.Message);
    }

    [Fact]
    public async Task Migrate_TargetNotANodeName_Refused()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri() });

        var error = await Assert.ThrowsAsync<HypervisorException>(() => libvirt.MigrateAsync(Vm("web"), "evil/host?x", Token));

        Assert.Contains("not a valid node name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_UnreachableUri_ConnectionErrorNamesUri()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = "test://" + dir.File("no-such-node.xml") });

        var error = await Assert.ThrowsAsync<HypervisorException>(() => libvirt.StatusAsync(Vm("web"), Token));

        Assert.StartsWith($"cannot connect to libvirt at test://{dir.File("no-such-node.xml")}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calls_BadInput_FaultedTasksNeverSynchronousThrows()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri() });

        var start = libvirt.StartAsync(Vm("web", dir.File("missing.xml")), Token);
        var migrate = libvirt.MigrateAsync(Vm("web"), "bad node", Token);

        await Assert.ThrowsAsync<HypervisorException>(() => start);
        await Assert.ThrowsAsync<HypervisorException>(() => migrate);
    }

    [Fact]
    public async Task Status_ManyConcurrentCallsOnOneConnection_AllAnswered()
    {
        using var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri() });

        var statuses = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => libvirt.StatusAsync(Vm(i % 2 == 0 ? "web" : "nosuch"), Token)));

        Assert.All(statuses.Where((_, i) => i % 2 == 0), s => Assert.Equal(VmPowerState.Running, s.State));
        Assert.All(statuses.Where((_, i) => i % 2 == 1), s => Assert.Equal(new VmStatus(VmPowerState.Stopped, "not defined"), s));
    }

    [Fact]
    public async Task Calls_AfterDispose_ObjectDisposed()
    {
        var libvirt = new LibvirtHypervisor(new LibvirtOptions { Uri = NodeUri() });
        await libvirt.StatusAsync(Vm("web"), Token);

        libvirt.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => libvirt.StatusAsync(Vm("web"), Token));
    }
}
