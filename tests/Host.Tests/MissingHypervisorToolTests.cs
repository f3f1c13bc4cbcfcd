using System.Text.Json;

namespace Haven.Host.Tests;

/// <summary>
/// A one-host daemon whose xe tool disappears while a VM runs through it: the stop fails with the reason (the tool's path),
/// the stop's on-fail applies (block: fencing is off), and `haven vm remove` says how to clear it; `--force` removes it,
/// and the host stops asking the missing tool about it.
/// </summary>
public class MissingHypervisorToolTests
{
    [Fact]
    public async Task VmStop_HypervisorToolMissing_FailedStopBlockedThenRemovable()
    {
        using var dir = new TempDir();
        var xe = dir.File("xe");
        var powerState = dir.File("power-state");
        // A fake xe: vm-list prints the power state kept in a file; vm-start and vm-shutdown change it.
        File.WriteAllText(xe, $$"""
            #!/bin/sh
            case "$1" in
              vm-list) cat "{{powerState}}" 2>/dev/null || echo halted ;;
              vm-start) echo running > "{{powerState}}" ;;
              vm-shutdown) echo halted > "{{powerState}}" ;;
            esac
            """);
        File.SetUnixFileMode(xe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = lab, node-name = solo, transport = simulated }
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              split-brain-resolver.stable-after = 100ms
              logging { console = off, file.path = "{{dir.File("haven.log")}}" }
              vms.hypervisors.xen.xe = "{{xe}}"
            }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config);
        await daemon.WaitForEventAsync("cluster.primary-formed.v1");
        var socket = dir.File("haven.sock");

        var (code, _, err) = await CliRunner.RunAsync("vm", "add", "web-01", "--hypervisor", "xen", "--config", "web-01", "--socket", socket);
        Assert.True(code == 0, err);
        Assert.True(SpinWait.SpinUntil(() => Vm(socket)?.State == "running", TimeSpan.FromSeconds(30)), $"the VM never ran: {Vm(socket)}");

        File.Delete(xe);
        var (stopCode, _, stopErr) = await CliRunner.RunAsync("vm", "stop", "web-01", "--socket", socket);
        Assert.True(stopCode == 0, stopErr);

        // The failed stop is reported with its cause; on-fail for stop (fence, but fencing is off: block) leaves it unmanaged.
        Assert.True(SpinWait.SpinUntil(() => Vm(socket) is { Managed: false }, TimeSpan.FromSeconds(30)), $"the stop never failed: {Vm(socket)}");
        var blocked = Vm(socket)!;
        Assert.Equal("stopping", blocked.State);
        Assert.Contains("stop failed", blocked.Reason, StringComparison.Ordinal);
        Assert.Contains($"haven.vms.hypervisors.xen.xe {xe} does not exist", blocked.Reason, StringComparison.Ordinal);
        Assert.EndsWith("(on-fail block)", blocked.Reason, StringComparison.Ordinal);

        // It may still run there: remove refuses, naming the way out.
        var (removeCode, _, removeErr) = await CliRunner.RunAsync("vm", "remove", "web-01", "--socket", socket);
        Assert.NotEqual(0, removeCode);
        Assert.Contains("VM WEB-01 is stopping on solo, blocked", removeErr, StringComparison.Ordinal);
        Assert.Contains("haven vm cleanup WEB-01", removeErr, StringComparison.Ordinal);
        Assert.Contains("haven vm remove WEB-01 --force", removeErr, StringComparison.Ordinal);
        Assert.NotNull(Vm(socket));

        var (forceCode, forceOut, forceErr) = await CliRunner.RunAsync("vm", "remove", "web-01", "--force", "--socket", socket);
        Assert.True(forceCode == 0, forceErr);
        Assert.Contains("VM WEB-01 is no longer managed (forced", forceOut, StringComparison.Ordinal);
        Assert.Null(Vm(socket));

        // The host's VM actor stops asking the missing tool: a few failed status calls, one warning naming the VM and the
        // tool's error, and no more (it polled for ever).
        const string GaveUp = "VM WEB-01 was removed, but its status on";
        var log = dir.File("haven.log");
        int Warnings() => File.ReadAllLines(log).Count(l => l.Contains(GaveUp, StringComparison.Ordinal));
        Assert.True(SpinWait.SpinUntil(() => Warnings() > 0, TimeSpan.FromSeconds(60)), "the VM actor never gave up on the removed VM");
        var warning = File.ReadAllLines(log).Single(l => l.Contains(GaveUp, StringComparison.Ordinal));
        Assert.Contains($"haven.vms.hypervisors.xen.xe {xe} does not exist", warning, StringComparison.Ordinal);
        Assert.False(SpinWait.SpinUntil(() => Warnings() > 1, TimeSpan.FromSeconds(5)), "warned more than once");
    }

    private sealed record VmRow(string State, string Reason, bool Managed);

    private static VmRow? Vm(string socket)
    {
        var (code, json, _) = CliRunner.RunAsync("vm", "locate", "web-01", "--json", "--socket", socket).GetAwaiter().GetResult();
        if (code != 0) return null;
        var vm = JsonDocument.Parse(json).RootElement;
        return new VmRow(vm.GetProperty("state").GetString()!, vm.GetProperty("reason").GetString()!, vm.GetProperty("managed").GetBoolean());
    }
}
