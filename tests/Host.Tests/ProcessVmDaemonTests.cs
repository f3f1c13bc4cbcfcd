using System.Text.Json;

namespace Haven.Host.Tests;

/// <summary>A one-host daemon runs a registered VM through the process hypervisor: a real child process.</summary>
public class ProcessVmDaemonTests
{
    [Fact]
    public async Task VmAdd_ProcessVm_RunsAsARealProcess_VmStopEndsIt()
    {
        using var dir = new TempDir();
        var stateDir = dir.File("vms");
        var marker = $"haven-vm-test-{Guid.NewGuid():N}";
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = lab, node-name = solo, transport = simulated }
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              split-brain-resolver.stable-after = 100ms
              logging { console = off, file.path = "{{dir.File("haven.log")}}" }
              vms.hypervisors.process.state-dir = "{{stateDir}}"
            }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config);
        await daemon.WaitForEventAsync("cluster.primary-formed.v1");
        var socket = dir.File("haven.sock");
        try
        {
            var (code, _, err) = await CliRunner.RunAsync("vm", "add", "web-01", "--hypervisor", "process",
                "--config", $"[\"/bin/sh\", \"-c\", \"sleep 600; : {marker}\"]", "--socket", socket);
            Assert.True(code == 0, err);

            Assert.True(SpinWait.SpinUntil(() => State(socket) == "running", TimeSpan.FromSeconds(30)), $"the VM never ran: {State(socket)}");
            // Exactly one VM process; its shell forks for sleep, and until that child execs it carries the marker too.
            Assert.True(SpinWait.SpinUntil(() => ProcessesWith(marker).Count == 1, TimeSpan.FromSeconds(10)), $"processes with the marker: {ProcessesWith(marker).Count}");

            var (stopCode, stopOut, stopErr) = await CliRunner.RunAsync("vm", "stop", "web-01", "--socket", socket);
            Assert.True(stopCode == 0, stopErr);
            // what the cluster will do, not "stopped" while it is still stopping
            Assert.Equal("VM WEB-01 is to stop: the cluster stops it where it runs (haven vm list shows when it has stopped)", stopOut.Trim());
            Assert.True(SpinWait.SpinUntil(() => State(socket) == "stopped", TimeSpan.FromSeconds(30)), $"the VM never stopped: {State(socket)}");
            Assert.True(SpinWait.SpinUntil(() => ProcessesWith(marker).Count == 0, TimeSpan.FromSeconds(10)), "the process is still running");
        }
        finally
        {
            foreach (var pid in ProcessesWith(marker))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                }
            }
        }
    }

    private static string? State(string socket)
    {
        var (code, json, _) = CliRunner.RunAsync("vm", "list", "--json", "--socket", socket).GetAwaiter().GetResult();
        if (code != 0) return null;
        return JsonDocument.Parse(json).RootElement.EnumerateArray()
            .FirstOrDefault(v => v.GetProperty("name").GetString() == "WEB-01") is { ValueKind: JsonValueKind.Object } vm
            ? vm.GetProperty("state").GetString()
            : null;
    }

    private static List<int> ProcessesWith(string marker) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsDigit)).Select(int.Parse!)
            .Where(pid =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/cmdline").Contains(marker, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false;
                }
                catch (UnauthorizedAccessException)
                {
                    return false;
                }
            }).ToList();
}
