using System.Diagnostics;
using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

/// <summary>The process hypervisor with real child processes; every VM a test starts is killed at the end.</summary>
public sealed class ProcessHypervisorTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TempVmDirectory dir = new();
    private readonly List<VmDefinition> started = [];

    private ProcessHypervisor NewHypervisor() => new(new ProcessHypervisorOptions { StateDirectory = dir.File("state") });

    private VmDefinition Vm(string name, string config = """["sleep", "1000"]""")
    {
        var vm = new VmDefinition(name, "process", config);
        started.Add(vm);
        return vm;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        var hypervisor = NewHypervisor();
        foreach (var vm in started)
        {
            try
            {
                await hypervisor.KillAsync(vm, CancellationToken.None);
            }
            catch (HypervisorException)
            {
                // a test's deliberately corrupt state file
            }
        }

        dir.Dispose();
    }

    [Fact]
    public async Task Start_Sleep_RunningInAGroupOfItsOwn()
    {
        var hypervisor = NewHypervisor();
        var vm = Vm("vm1");

        await hypervisor.StartAsync(vm, CancellationToken.None);

        var record = hypervisor.Recorded(vm)!;
        var stat = PosixProcesses.Stat(record.Pid)!;
        Assert.Equal(new VmStatus(VmPowerState.Running), await hypervisor.StatusAsync(vm, CancellationToken.None));
        Assert.Equal(record.Pid, stat.ProcessGroup);
        Assert.Equal(record.StartTime, stat.StartTime);
        Assert.Equal("sleep", File.ReadAllText($"/proc/{record.Pid}/comm").Trim());
    }

    [Fact]
    public async Task Start_AlreadyRunning_SameProcess()
    {
        var hypervisor = NewHypervisor();
        var vm = Vm("vm1", "sleep 1000");
        await hypervisor.StartAsync(vm, CancellationToken.None);
        var first = hypervisor.Recorded(vm)!.Pid;

        await hypervisor.StartAsync(vm, CancellationToken.None);

        Assert.Equal(first, hypervisor.Recorded(vm)!.Pid);
    }

    [Fact]
    public async Task Status_NewInstanceAfterDaemonRestart_StillRunning()
    {
        var vm = Vm("vm1");
        await NewHypervisor().StartAsync(vm, CancellationToken.None);

        var status = await NewHypervisor().StatusAsync(vm, CancellationToken.None);

        Assert.Equal(VmPowerState.Running, status.State);
    }

    [Fact]
    public async Task Status_NeverStarted_Stopped()
    {
        Assert.Equal(new VmStatus(VmPowerState.Stopped, "not running"), await NewHypervisor().StatusAsync(Vm("vm1"), CancellationToken.None));
    }

    [Fact]
    public async Task Shutdown_SigTerm_StoppedNotCrashed()
    {
        var hypervisor = NewHypervisor();
        var vm = Vm("vm1");
        await hypervisor.StartAsync(vm, CancellationToken.None);

        await hypervisor.ShutdownAsync(vm, CancellationToken.None);
        var gone = await hypervisor.WaitForStopAsync(vm, Patience, CancellationToken.None);

        Assert.True(gone);
        Assert.Equal(new VmStatus(VmPowerState.Stopped, "stopped: killed by signal 15"), await hypervisor.StatusAsync(vm, CancellationToken.None));
    }

    [Fact]
    public async Task Shutdown_NotRunning_Nothing()
    {
        var hypervisor = NewHypervisor();
        var vm = Vm("vm1");

        await hypervisor.ShutdownAsync(vm, CancellationToken.None);

        Assert.Equal(VmPowerState.Stopped, (await hypervisor.StatusAsync(vm, CancellationToken.None)).State);
    }

    [Fact]
    public async Task Kill_ShellWithBackgroundChild_WholeGroupGone()
    {
        var hypervisor = NewHypervisor();
        var fifo = dir.File("child.pid");
        Assert.Equal(0, MakeFifo(fifo));
        var vm = Vm("vm1", $$"""["/bin/sh", "-c", "sleep 1000 & echo $! > {{fifo}}; wait"]""");
        var childPid = Task.Run(() => int.Parse(File.ReadAllText(fifo).Trim(), System.Globalization.CultureInfo.InvariantCulture));
        await hypervisor.StartAsync(vm, CancellationToken.None);
        var child = await childPid.WaitAsync(Patience);
        var shell = hypervisor.Recorded(vm)!.Pid;
        Assert.Equal(shell, PosixProcesses.Stat(child)!.ProcessGroup);
        using var childProcess = Process.GetProcessById(child);

        await hypervisor.KillAsync(vm, CancellationToken.None);

        Assert.Equal(new VmStatus(VmPowerState.Stopped, "not running"), await hypervisor.StatusAsync(vm, CancellationToken.None));
        Assert.Null(hypervisor.Recorded(vm));
        // The background sleep was in the group: it is gone too (reparented, so its parent reaps it).
        await childProcess.WaitForExitAsync().WaitAsync(Patience);
    }

    [Fact]
    public async Task Status_ProcessKilledBehindOurBack_CrashedUntilRestarted()
    {
        var hypervisor = NewHypervisor();
        var vm = Vm("vm1");
        await hypervisor.StartAsync(vm, CancellationToken.None);
        var pid = hypervisor.Recorded(vm)!.Pid;

        Assert.True(PosixProcesses.Signal(pid, PosixProcesses.SigKill));
        Assert.True(await hypervisor.WaitForStopAsync(vm, Patience, CancellationToken.None));
        var crashed = await hypervisor.StatusAsync(vm, CancellationToken.None);
        var still = await NewHypervisor().StatusAsync(vm, CancellationToken.None);
        await hypervisor.StartAsync(vm, CancellationToken.None);

        Assert.Equal(new VmStatus(VmPowerState.Crashed, $"process {pid} killed by signal 9 unexpectedly"), crashed);
        Assert.Equal(crashed, still);
        Assert.Equal(VmPowerState.Running, (await hypervisor.StatusAsync(vm, CancellationToken.None)).State);
        Assert.NotEqual(pid, hypervisor.Recorded(vm)!.Pid);
    }

    [Fact]
    public async Task Status_PidReusedByAnotherProcess_NotRunningAndNeverSignalled()
    {
        var hypervisor = NewHypervisor();
        var vm = Vm("vm1");
        Directory.CreateDirectory(dir.File("state"));
        // This test process stands for an unrelated process that got the VM's old pid.
        File.WriteAllText(dir.File("state/vm1.json"), $$"""{"Pid": {{Environment.ProcessId}}, "StartTime": 1}""");

        var status = await hypervisor.StatusAsync(vm, CancellationToken.None);
        await hypervisor.ShutdownAsync(vm, CancellationToken.None);
        await hypervisor.KillAsync(vm, CancellationToken.None);

        Assert.Equal(new VmStatus(VmPowerState.Crashed, $"process {Environment.ProcessId} exited unexpectedly"), status);
        Assert.Null(hypervisor.Recorded(vm));
    }

    [Fact]
    public async Task Status_RecordFromAnotherBoot_NotTheVmEvenWithTheSameStartTime()
    {
        var hypervisor = NewHypervisor();
        var vm = Vm("vm1");
        await hypervisor.StartAsync(vm, CancellationToken.None);
        var record = hypervisor.Recorded(vm)!;
        // Once asleep, only a signal wakes it: on a loaded machine the new process may not have reached its sleep yet.
        Assert.True(SpinWait.SpinUntil(() => PosixProcesses.Stat(record.Pid)?.State == 'S', Patience), "the VM's sleep never went to sleep");
        File.WriteAllText(dir.File("state/vm1.json"), System.Text.Json.JsonSerializer.Serialize(record with { BootId = "previous-boot" }));
        try
        {
            var status = await hypervisor.StatusAsync(vm, CancellationToken.None);
            await hypervisor.KillAsync(vm, CancellationToken.None);

            Assert.Equal(VmPowerState.Crashed, status.State);
            Assert.Equal('S', PosixProcesses.Stat(record.Pid)!.State); // the live process was not signalled
        }
        finally
        {
            PosixProcesses.Signal(record.Pid, PosixProcesses.SigKill);
        }
    }

    [Fact]
    public async Task Status_CorruptStateFile_ErrorNamesFile()
    {
        var hypervisor = NewHypervisor();
        Directory.CreateDirectory(dir.File("state"));
        File.WriteAllText(dir.File("state/vm1.json"), "{nonsense");

        var error = await Assert.ThrowsAsync<HypervisorException>(() => hypervisor.StatusAsync(Vm("vm1"), CancellationToken.None));

        Assert.Contains($"VM vm1: {dir.File("state/vm1.json")} is corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MissingProgram_ErrorNamesProgram()
    {
        var hypervisor = NewHypervisor();

        var error = await Assert.ThrowsAsync<HypervisorException>(() => hypervisor.StartAsync(Vm("vm1", "/nonexistent/qemu -m 512"), CancellationToken.None));

        Assert.StartsWith("VM vm1: cannot start /nonexistent/qemu: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(VmPowerState.Stopped, (await hypervisor.StatusAsync(Vm("vm1"), CancellationToken.None)).State);
    }

    [Fact]
    public async Task Start_ProgramFails_CrashedWithExitCodeAndOutputLogged()
    {
        var hypervisor = NewHypervisor();
        var vm = Vm("vm1", """["/bin/sh", "-c", "echo 'no disk' >&2; exit 3"]""");

        try
        {
            await hypervisor.StartAsync(vm, CancellationToken.None);
            Assert.True(await hypervisor.WaitForStopAsync(vm, Patience, CancellationToken.None));
            Assert.Equal(VmPowerState.Crashed, (await hypervisor.StatusAsync(vm, CancellationToken.None)).State);
            Assert.Contains("exit code 3", (await hypervisor.StatusAsync(vm, CancellationToken.None)).Detail, StringComparison.Ordinal);
        }
        catch (HypervisorException e)
        {
            // it may already have exited when the start checked on it
            Assert.Contains("exit code 3", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal("no disk", File.ReadAllText(dir.File("state/vm1.log")).Trim());
    }

    [Fact]
    public async Task Migrate_Always_NotSupported()
    {
        var hypervisor = NewHypervisor();

        var migration = hypervisor.MigrateAsync(Vm("vm1"), "n2", CancellationToken.None);

        var error = await Assert.ThrowsAsync<HypervisorException>(() => migration);

        Assert.False(hypervisor.SupportsLiveMigration);
        Assert.Contains("cannot live-migrate", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a b")]
    [InlineData("..")]
    public async Task Status_NameNotAFileName_Refused(string name)
    {
        var error = await Assert.ThrowsAsync<HypervisorException>(() => NewHypervisor().StatusAsync(new VmDefinition(name, "process", "sleep 1"), CancellationToken.None));

        Assert.Contains("not a valid name", error.Message, StringComparison.Ordinal);
    }

    private static int MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        return mkfifo.ExitCode;
    }
}
