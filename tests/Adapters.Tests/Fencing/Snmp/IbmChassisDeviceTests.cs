using Haven.Actors.Fencing;
using Haven.Adapters.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>The AMM/CMM device against snmpd with the emulated blade table.</summary>
public sealed class IbmChassisDeviceTests(SnmpdEmulator snmpd) : IClassFixture<SnmpdEmulator>
{
    /// <summary>
    /// Fast polling; the waits for a state the emulator does reach are generous (reaching it ends the wait
    /// at once, and a loaded machine must not turn a slow poll into a forced off or a failure).
    /// </summary>
    private static readonly IbmChassisOptions Fast = new()
    {
        SoftOffTimeout = TimeSpan.FromSeconds(15),
        OffTimeout = TimeSpan.FromSeconds(15),
        OnTimeout = TimeSpan.FromSeconds(15),
        PollInterval = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>Short waits, for tests where the blade never reaches the state waited for.</summary>
    private static readonly TimeSpan Expires = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Off_BladeOn_SoftOffThenReadsOff()
    {
        snmpd.Reset(AmmState.Default());
        using var device = Device();
        var outcome = await device.ExecuteAsync("node02", FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Contains("off after soft-off", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal([(2, IbmChassisDevice.StateSoftOff)], snmpd.Sets());
        Assert.Equal(0, snmpd.Power(2));
        Assert.Equal(1, snmpd.Power(1));
    }

    [Fact]
    public async Task Off_SoftOffIgnored_ForcesOffAfterTheSoftOffTimeout()
    {
        snmpd.Reset(AmmState.Default() with { SoftOffWorks = false });
        using var device = Device(Fast with { SoftOffTimeout = Expires });
        var outcome = await device.ExecuteAsync("node01", FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal([(1, IbmChassisDevice.StateSoftOff), (1, IbmChassisDevice.StateOff)], snmpd.Sets());
        Assert.Equal(0, snmpd.Power(1));
    }

    [Fact]
    public async Task Off_NoSoftOff_SendsOnlyOff()
    {
        snmpd.Reset(AmmState.Default());
        using var device = Device(Fast with { NoSoftOff = true });
        var outcome = await device.ExecuteAsync("node01", FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal([(1, IbmChassisDevice.StateOff)], snmpd.Sets());
    }

    [Fact]
    public async Task Off_SlowPowerDown_PollsUntilTheStateReadsOff()
    {
        snmpd.Reset(AmmState.Default() with { OffDelayReads = 4 });
        using var device = Device(Fast with { NoSoftOff = true });
        var outcome = await device.ExecuteAsync("node01", FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal(0, snmpd.Power(1));
    }

    [Fact]
    public async Task Off_SlowPowerDown_IsSeenByTheFastFirstPollsNotAfterWholePollIntervals()
    {
        // Four reads until off: 20 + 40 + 80 ms of waits. Polling every 10 s would read off only at 30 s, past the off-timeout.
        snmpd.Reset(AmmState.Default() with { OffDelayReads = 4 });
        using var device = Device(Fast with { NoSoftOff = true, PollInterval = TimeSpan.FromSeconds(10) });
        var outcome = await device.ExecuteAsync("node01", FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal(0, snmpd.Power(1));
    }

    /// <summary>Completes once <paramref name="path"/> exists (inotify through FileSystemWatcher; no polling).</summary>
    private static async Task FileCreatedAsync(string path)
    {
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path));
        watcher.Created += (_, _) => created.TrySetResult();
        watcher.EnableRaisingEvents = true;
        if (File.Exists(path)) return; // created before the watcher started
        await created.Task;
    }

    [Fact]
    public async Task Off_BladeSwitchedByAHook_IsConfirmedOnlyOnceTheHookHasFinished()
    {
        // The hook (the namespace cluster's power switch) writes its arguments, then waits for the test's go.
        var dir = Directory.CreateTempSubdirectory("haven-amm-hook-").FullName;
        try
        {
            var go = Path.Combine(dir, "go");
            var called = Path.Combine(dir, "called");
            snmpd.Reset(AmmState.Default() with
            {
                PowerHook = ["/bin/sh", "-c", $"echo \"$1 $2\" > '{called}'; while [ ! -e '{go}' ]; do sleep 0.01; done", "hook"],
            });
            using var device = Device(Fast with { NoSoftOff = true, OffTimeout = TimeSpan.FromSeconds(60) });
            var fence = device.ExecuteAsync("node02", FenceAction.Off, CancellationToken.None);
            await Task.WhenAny(FileCreatedAsync(called), fence).WaitAsync(TimeSpan.FromSeconds(60)); // until the hook runs
            Assert.False(fence.IsCompleted, "the fence finished before the power switch did");
            Assert.Equal(1, snmpd.Power(2));
            File.WriteAllText(go, "");
            var outcome = await fence.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(outcome.Success, outcome.Detail);
            Assert.Equal("2 off\n", File.ReadAllText(called));
            Assert.Equal(0, snmpd.Power(2));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void PollDelays_StartAtTheFirstIntervalAndDoubleUpToThePollInterval()
    {
        Assert.Equal([20, 40, 80, 160, 320, 640, 1000, 1000],
            IbmChassisDevice.PollDelays(new IbmChassisOptions()).Take(8).Select(d => (int)d.TotalMilliseconds));
        Assert.Equal([5, 5, 5], IbmChassisDevice.PollDelays(new IbmChassisOptions { PollInterval = TimeSpan.FromMilliseconds(5) }).Take(3).Select(d => (int)d.TotalMilliseconds));
        Assert.Equal([100, 200, 300], IbmChassisDevice.PollDelays(new IbmChassisOptions { FirstPollInterval = TimeSpan.FromMilliseconds(100), PollInterval = TimeSpan.FromMilliseconds(300) })
            .Take(3).Select(d => (int)d.TotalMilliseconds));
    }

    [Fact]
    public async Task Off_AlreadyOff_SucceedsWithoutSwitching()
    {
        snmpd.Reset(AmmState.Default());
        using var device = Device();
        var outcome = await device.ExecuteAsync("node03", FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Contains("already off", outcome.Detail, StringComparison.Ordinal);
        Assert.Empty(snmpd.Sets());
    }

    [Fact]
    public async Task Off_DeviceLiesAndStaysOn_FailsNamingTheState()
    {
        snmpd.Reset(AmmState.Default() with { Mode = "lie" });
        using var device = Device(Fast with { SoftOffTimeout = Expires, OffTimeout = Expires });
        var outcome = await device.ExecuteAsync("node01", FenceAction.Off, CancellationToken.None);
        Assert.False(outcome.Success);
        Assert.Contains("still reads power state 1 (on)", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal([(1, IbmChassisDevice.StateSoftOff), (1, IbmChassisDevice.StateOff)], snmpd.Sets());
    }

    [Fact]
    public async Task Off_DeviceRefuses_Fails()
    {
        snmpd.Reset(AmmState.Default() with { Mode = "refuse" });
        using var device = Device();
        var outcome = await device.ExecuteAsync("node01", FenceAction.Off, CancellationToken.None);
        Assert.False(outcome.Success);
        Assert.Contains("power off refused", outcome.Detail, StringComparison.Ordinal);
        Assert.Contains("NotWritable", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(1, snmpd.Power(1));
    }

    [Fact]
    public async Task Off_DoubleWideBlade_SwitchesEverySlotWithTheName()
    {
        snmpd.Reset(AmmState.Default() with { Blades = [("node01", 1), ("big", 1), ("big", 1)] });
        using var device = Device(Fast with { NoSoftOff = true });
        var outcome = await device.ExecuteAsync("big", FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal([(2, 0), (3, 0)], snmpd.Sets());
        Assert.Equal(1, snmpd.Power(1));
    }

    [Fact]
    public async Task Off_UnknownHost_ThrowsNamingTheKnownBlades()
    {
        snmpd.Reset(AmmState.Default());
        using var device = Device();
        var error = await Assert.ThrowsAsync<FenceDeviceException>(() => device.ExecuteAsync("node09", FenceAction.Off, CancellationToken.None));
        Assert.Contains("no blade is named \"node09\" (blades: node01, node02, node03)", error.Message, StringComparison.Ordinal);
        Assert.Empty(snmpd.Sets());
    }

    [Fact]
    public async Task Off_WrongSignature_ThrowsAndSwitchesNothing()
    {
        snmpd.Reset(AmmState.Default() with { SysDescr = "Linux switch 5.10" });
        using var device = Device();
        var error = await Assert.ThrowsAsync<FenceDeviceException>(() => device.ExecuteAsync("node01", FenceAction.Off, CancellationToken.None));
        Assert.Contains("answered sysDescr \"Linux switch 5.10\", expected \"BladeCenter Advanced Management Module\"", error.Message, StringComparison.Ordinal);
        Assert.Empty(snmpd.Sets());
    }

    [Fact]
    public async Task Cmm_FlexSignature_IsAcceptedAndAmmSignatureRefused()
    {
        snmpd.Reset(AmmState.Default() with { SysDescr = IbmChassisDevice.CmmSignature });
        using var cmm = Device(Fast with { Model = IbmChassisModel.Cmm });
        Assert.True((await cmm.CheckAsync(CancellationToken.None)).Healthy);
        Assert.Equal("snmp-ibm-cmm", cmm.Type);
        using var amm = Device();
        var health = await amm.CheckAsync(CancellationToken.None);
        Assert.False(health.Healthy);
        Assert.Contains("wrong device or wrong type", health.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_BladeOff_TurnsItOn()
    {
        snmpd.Reset(AmmState.Default());
        using var device = Device();
        var outcome = await device.ExecuteAsync("node03", FenceAction.On, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal(1, snmpd.Power(3));
    }

    [Fact]
    public async Task Reboot_BladeOn_GoesOffThenOn()
    {
        snmpd.Reset(AmmState.Default());
        using var device = Device();
        var outcome = await device.ExecuteAsync("node01", FenceAction.Reboot, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal([(1, IbmChassisDevice.StateSoftOff), (1, IbmChassisDevice.StateOn)], snmpd.Sets());
        Assert.Equal(1, snmpd.Power(1));
    }

    [Fact]
    public async Task Status_And_List_ReadTheTable()
    {
        snmpd.Reset(AmmState.Default());
        using var device = Device();
        Assert.Equal(PowerState.On, await device.GetPowerStateAsync("node01", CancellationToken.None));
        Assert.Equal(PowerState.Off, await device.GetPowerStateAsync("NODE03", CancellationToken.None));
        Assert.Equal(["node01", "node02", "node03"], await device.ListHostsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Check_WrongCommunity_IsUnhealthy()
    {
        snmpd.Reset(AmmState.Default());
        using var device = new IbmChassisDevice("amm1",
            snmpd.Client(community: "nope", options: new SnmpClientOptions { Timeout = TimeSpan.FromMilliseconds(100), Retries = 0 }), Fast);
        var health = await device.CheckAsync(CancellationToken.None);
        Assert.False(health.Healthy);
        Assert.Contains("no answer", health.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, PowerState.Off)]
    [InlineData(1, PowerState.On)]
    [InlineData(2, PowerState.Unknown)]
    [InlineData(3, PowerState.On)]
    [InlineData(4, PowerState.On)]
    [InlineData(7, PowerState.Unknown)]
    public void Interpret_PowerStateValues_FollowThePlugins(int value, PowerState expected) =>
        Assert.Equal(expected, IbmChassisDevice.Interpret(value));

    private IbmChassisDevice Device(IbmChassisOptions? options = null) => new("amm1", snmpd.Client(), options ?? Fast);
}

/// <summary>An agent that never answers the SET: the device must fail, never succeed.</summary>
public sealed class IbmChassisDeviceHangTests(SnmpdEmulator snmpd) : IClassFixture<SnmpdEmulator>
{
    [Fact]
    public async Task Off_AgentHangsOnSet_FailsWithinTheClientTimeouts()
    {
        snmpd.Reset(AmmState.Default() with { Mode = "hang", HangSeconds = 30 });
        // One client timeout for the reads before the SET (answered: 200 ms was too short for them on a loaded
        // machine) and for the two SETs that hang (soft-off, then off): 3 s each, well inside the 30 s hang.
        using var device = new IbmChassisDevice("amm1",
            snmpd.Client(options: new SnmpClientOptions { Timeout = TimeSpan.FromSeconds(3), Retries = 0 }),
            new IbmChassisOptions { SoftOffTimeout = TimeSpan.FromMilliseconds(200), OffTimeout = TimeSpan.FromMilliseconds(200), PollInterval = TimeSpan.FromMilliseconds(20) });
        var outcome = await device.ExecuteAsync("node01", FenceAction.Off, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(outcome.Success);
        Assert.Contains("no answer", outcome.Detail, StringComparison.Ordinal);
    }
}
