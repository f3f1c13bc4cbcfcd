using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

public sealed class XenHypervisorTests : IDisposable
{
    private const string Uuid = "0b5e3b7c-35f5-4e0a-9d55-3a4c2f1e9a01";
    private readonly StandInTool xe = new("xe", """
          vm-list) cat "$D/state" 2>/dev/null ;;
          vm-start) echo running > "$D/state" ;;
          vm-shutdown) echo halted > "$D/state" ;;
          vm-migrate) : > "$D/state" ;;
        """);

    public void Dispose() => xe.Dispose();

    private XenHypervisor Hypervisor(TimeSpan? timeout = null) =>
        new(new XenOptions { Xe = xe.Path, CommandTimeout = timeout ?? TimeSpan.FromSeconds(30), LongCommandTimeout = timeout ?? TimeSpan.FromSeconds(30) });

    private static VmDefinition Vm(string config = Uuid) => new("web", "xen", config);

    [Theory]
    [InlineData("running", VmPowerState.Running, "")]
    [InlineData("paused", VmPowerState.Paused, "paused")]
    [InlineData("halted", VmPowerState.Stopped, "halted")]
    [InlineData("suspended", VmPowerState.Stopped, "suspended")]
    [InlineData("", VmPowerState.Stopped, "not defined")]
    public async Task Status_PowerState_Mapped(string powerState, VmPowerState expected, string detail)
    {
        xe.State = powerState;

        var status = await Hypervisor().StatusAsync(Vm(), CancellationToken.None);

        Assert.Equal(new VmStatus(expected, detail), status);
        Assert.Equal([$"vm-list|uuid={Uuid}|params=power-state|--minimal"], xe.Calls);
    }

    [Fact]
    public async Task Status_NameLabel_SelectedByNameLabel()
    {
        xe.State = "running";

        await Hypervisor().StatusAsync(Vm("web server"), CancellationToken.None);

        Assert.Equal(["vm-list|name-label=web server|params=power-state|--minimal"], xe.Calls);
    }

    [Fact]
    public async Task Status_AmbiguousNameLabel_Error()
    {
        xe.State = "running,halted";

        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor().StatusAsync(Vm("web"), CancellationToken.None));

        Assert.Equal("VM web: 2 XenServer VMs match name-label=web; use the uuid", error.Message);
    }

    [Fact]
    public async Task Start_Halted_VmStartThenRunning()
    {
        xe.State = "halted";

        await Hypervisor().StartAsync(Vm(), CancellationToken.None);

        Assert.Equal("vm-start|uuid=" + Uuid, xe.Calls[1]);
        Assert.Equal("running", xe.State);
    }

    [Fact]
    public async Task Start_AlreadyRunning_NoVmStart()
    {
        xe.State = "running";

        await Hypervisor().StartAsync(Vm("web"), CancellationToken.None);

        Assert.Single(xe.Calls);
    }

    [Fact]
    public async Task Start_XeFails_ErrorCarriesTrimmedStderr()
    {
        xe.State = "halted";
        xe.FailNext("vm-start", "The server failed to handle your request.\nmsg: HOST_NOT_ENOUGH_FREE_MEMORY\n\n");

        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor().StartAsync(Vm("web"), CancellationToken.None));

        Assert.Equal("VM web: xe vm-start vm=web failed with exit code 1: The server failed to handle your request.\nmsg: HOST_NOT_ENOUGH_FREE_MEMORY", error.Message);
    }

    [Fact]
    public async Task Shutdown_Running_CleanShutdown()
    {
        xe.State = "running";

        await Hypervisor().ShutdownAsync(Vm(), CancellationToken.None);

        Assert.Equal("vm-shutdown|uuid=" + Uuid, xe.Calls[1]);
        Assert.Equal("halted", xe.State);
    }

    [Fact]
    public async Task Kill_Running_ForcedShutdown()
    {
        xe.State = "running";

        await Hypervisor().KillAsync(Vm(), CancellationToken.None);

        Assert.Equal("vm-shutdown|uuid=" + Uuid + "|force=true", xe.Calls[1]);
    }

    [Fact]
    public async Task Kill_Halted_NothingRun()
    {
        xe.State = "halted";

        await Hypervisor().KillAsync(Vm(), CancellationToken.None);

        Assert.Single(xe.Calls);
    }

    [Fact]
    public async Task Migrate_Running_LiveMigrationToNode()
    {
        xe.State = "running";

        await Hypervisor().MigrateAsync(Vm(), "node2", CancellationToken.None);

        Assert.Equal(["vm-migrate|uuid=" + Uuid + "|host=node2|live=true"], xe.Calls);
    }

    [Fact]
    public async Task Migrate_Refused_ErrorAndStillRunning()
    {
        xe.State = "running";
        xe.FailNext("vm-migrate", "VM_MIGRATE_FAILED\n");

        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor().MigrateAsync(Vm(), "node2", CancellationToken.None));

        Assert.EndsWith("failed with exit code 1: VM_MIGRATE_FAILED", error.Message, StringComparison.Ordinal);
        Assert.Equal(VmPowerState.Running, (await Hypervisor().StatusAsync(Vm(), CancellationToken.None)).State);
    }

    [Fact]
    public async Task Status_XeHangs_TimedOutError()
    {
        xe.Hang();

        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor(TimeSpan.FromMilliseconds(300)).StatusAsync(Vm(), CancellationToken.None));

        Assert.Equal($"VM web: xe vm-list uuid={Uuid} params=power-state --minimal timed out after 0.3 s and was killed", error.Message);
    }

    [Fact]
    public async Task Status_XeMissing_CannotRun()
    {
        var hypervisor = new XenHypervisor(new XenOptions { Xe = "/nonexistent/xe" });

        var error = await Assert.ThrowsAsync<HypervisorException>(() => hypervisor.StatusAsync(Vm(), CancellationToken.None));

        Assert.Contains("/nonexistent/xe", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_EmptyConfig_Refused()
    {
        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor().StatusAsync(Vm(" "), CancellationToken.None));

        Assert.Contains("uuid or name-label", error.Message, StringComparison.Ordinal);
        Assert.Empty(xe.Calls);
    }
}
