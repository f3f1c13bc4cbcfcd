using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

public sealed class OpenVzHypervisorTests : IDisposable
{
    private readonly StandInTool vzctl = new("vzctl", """
          status) echo "CTID $2 $(cat "$D/state")" ;;
          start) echo "Starting container ..."; echo "exist mounted running" > "$D/state" ;;
          stop) echo "exist unmounted down" > "$D/state" ;;
        """);

    public void Dispose() => vzctl.Dispose();

    private OpenVzHypervisor Hypervisor(TimeSpan? timeout = null) =>
        new(new OpenVzOptions { Vzctl = vzctl.Path, CommandTimeout = timeout ?? TimeSpan.FromSeconds(30), LongCommandTimeout = timeout ?? TimeSpan.FromSeconds(30) });

    private static VmDefinition Vm(string ctid = "101") => new("ct101", "openvz", ctid);

    [Theory]
    [InlineData("exist mounted running", VmPowerState.Running, "")]
    [InlineData("exist unmounted down", VmPowerState.Stopped, "down")]
    [InlineData("exist mounted down", VmPowerState.Stopped, "down (mounted)")]
    [InlineData("deleted unmounted down", VmPowerState.Stopped, "not defined")]
    [InlineData("exist mounted running suspended", VmPowerState.Paused, "suspended")]
    public async Task Status_VzctlOutput_Mapped(string state, VmPowerState expected, string detail)
    {
        vzctl.State = state;

        Assert.Equal(new VmStatus(expected, detail), await Hypervisor().StatusAsync(Vm(), CancellationToken.None));
        Assert.Equal(["status|101"], vzctl.Calls);
    }

    [Fact]
    public async Task Status_UnreadableOutput_Error()
    {
        vzctl.State = "";

        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor().StatusAsync(Vm(), CancellationToken.None));

        Assert.Equal("VM ct101: cannot read vzctl status output \"CTID 101\"", error.Message);
    }

    [Fact]
    public async Task Start_Down_VzctlStart()
    {
        vzctl.State = "exist unmounted down";

        await Hypervisor().StartAsync(Vm(), CancellationToken.None);

        Assert.Equal(["status|101", "start|101"], vzctl.Calls);
        Assert.Equal(VmPowerState.Running, (await Hypervisor().StatusAsync(Vm(), CancellationToken.None)).State);
    }

    [Fact]
    public async Task Start_Fails_ErrorCarriesStderr()
    {
        vzctl.State = "exist unmounted down";
        vzctl.FailNext("start", "  Unable to start container: quota exceeded  \n");

        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor().StartAsync(Vm(), CancellationToken.None));

        Assert.Equal("VM ct101: vzctl start 101 failed with exit code 1: Unable to start container: quota exceeded", error.Message);
    }

    [Fact]
    public async Task Shutdown_Running_VzctlStop()
    {
        vzctl.State = "exist mounted running";

        await Hypervisor().ShutdownAsync(Vm(), CancellationToken.None);

        Assert.Equal(["status|101", "stop|101"], vzctl.Calls);
    }

    [Fact]
    public async Task Kill_Running_VzctlStopFast()
    {
        vzctl.State = "exist mounted running";

        await Hypervisor().KillAsync(Vm(), CancellationToken.None);

        Assert.Equal(["status|101", "stop|101|--fast"], vzctl.Calls);
        Assert.Equal(VmPowerState.Stopped, (await Hypervisor().StatusAsync(Vm(), CancellationToken.None)).State);
    }

    [Fact]
    public async Task Kill_Down_NothingRun()
    {
        vzctl.State = "exist unmounted down";

        await Hypervisor().KillAsync(Vm(), CancellationToken.None);

        Assert.Equal(["status|101"], vzctl.Calls);
    }

    [Fact]
    public async Task Kill_Hangs_TimedOutError()
    {
        vzctl.Hang();

        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor(TimeSpan.FromMilliseconds(300)).KillAsync(Vm(), CancellationToken.None));

        Assert.Contains("timed out after 0.3 s and was killed", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("101 102")]
    public async Task Status_CtidLooksLikeAnOption_Refused(string ctid)
    {
        await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor().StatusAsync(Vm(ctid), CancellationToken.None));

        Assert.Empty(vzctl.Calls);
    }

    [Fact]
    public async Task Migrate_Always_NotSupported()
    {
        Assert.False(Hypervisor().SupportsLiveMigration);
        await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor().MigrateAsync(Vm(), "n2", CancellationToken.None));
    }
}
