using System.Text.Json;
using Xunit.Abstractions;

namespace Haven.Host.Tests.E2e;

/// <summary>
/// VM recovery on a real cluster (tests/e2e/cluster.sh with --fence; issue 6 "End to end"): HA process VMs
/// run as ordinary processes in the hosts' namespaces, each host with its own VM state dir. The host running
/// the most VMs crashes; after its fence (which powers it "off", VMs included) every VM runs on a survivor,
/// exactly once. Correctness only: event order, process counts, agreement of `haven vm list`; no timing.
/// </summary>
[Collection("e2e")]
public class VmFailoverTests(ITestOutputHelper output)
{
    private const int VmCount = 4;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    private sealed record VmRow(string Name, string? Node, string State);

    /// <summary>
    /// crash: both links down, then the daemon killed (the VM processes live on, cut off, until the fence);
    /// kill: only the daemon dies, the host's VMs keep running and its corosync stays in the membership.
    /// </summary>
    [Theory]
    [InlineData("crash")]
    [InlineData("kill")]
    public async Task HostWithVmsLost_VmsRunOnSurvivorsAfterFencing_EachExactlyOnce(string how)
    {
        var marker = $"haven-e2e-vm-{Guid.NewGuid():N}";
        var names = Enumerable.Range(1, VmCount).Select(i => $"E2E-VM-{i}").ToArray();
        string Mark(string vm) => $"{marker}-{vm}-end";
        try
        {
            await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s", "--fence");
            await RealClusterTests.FormedAsync(cluster);
            foreach (var name in names)
            {
                var (code, _, err) = await CliRunner.RunAsync("vm", "add", name, "--hypervisor", "process",
                    "--config", JsonSerializer.Serialize(new[] { "/bin/sh", "-c", $"sleep 3600; : {Mark(name)}" }), "--socket", cluster.Socket(1));
                Assert.True(code == 0, $"haven vm add {name} failed ({code}): {err}");
            }

            var before = await WaitAllRunningAsync(cluster, 1, names, excluded: null);
            var crashed = before.GroupBy(v => v.Node!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
            var crashedHost = HostNumber(crashed);
            var moved = before.Where(v => v.Node == crashed).Select(v => v.Name).ToArray();
            output.WriteLine($"before: {Describe(before)}; {how} {crashed} ({moved.Length} VMs)");
            AssertProcessesMatch(cluster, before, names, Mark);

            await (how == "crash" ? cluster.CrashAsync(crashedHost) : cluster.KillAsync(crashedHost));
            var survivor = Enumerable.Range(1, cluster.Hosts).First(h => h != crashedHost);
            var after = await WaitAllRunningAsync(cluster, survivor, names, excluded: crashed);
            output.WriteLine($"after: {Describe(after)}");

            // (a) The fence of the crashed host is journaled before any of its VMs is placed or runs elsewhere.
            var events = await cluster.ClusterEventsAsync(survivor);
            var fence = events.ToList().FindIndex(e => e.Type == "cluster.fence-succeeded.v1" && e.Fields.GetProperty("target").GetUInt32() == (uint)crashedHost);
            Assert.True(fence >= 0, $"no fence-succeeded for {crashed} in n{survivor}'s journal");
            foreach (var vm in moved)
            {
                var lastThere = LastIndex(events, e => IsVmOn(e, vm, crashedHost));
                var elsewhere = events.Select((e, i) => (e, i)).Where(x => x.i > lastThere && IsVmEvent(x.e, vm) && Node(x.e) is { } n && n != crashedHost)
                    .Select(x => x.i).ToArray();
                output.WriteLine($"{vm}: last event on {crashed} #{lastThere}, fence #{fence}, on survivors #{string.Join(",#", elsewhere)}");
                Assert.True(elsewhere.Length > 0, $"{vm} was never placed on a survivor after it ran on {crashed}");
                Assert.True(elsewhere.All(i => i > fence), $"{vm} was placed or ran elsewhere (event {elsewhere.Min()}) before the fence of {crashed} (event {fence})");
            }

            // The fence script really ran against the crashed host.
            Assert.Contains(File.ReadAllLines(Path.Combine(cluster.StateDir, "fence", "calls")), c => c.EndsWith($" {crashed} stop", StringComparison.Ordinal) || c.EndsWith($" {crashed} reset", StringComparison.Ordinal));

            // (b) and (c): one process per VM, on the host `haven vm list` names; none left of the crashed host.
            AssertProcessesMatch(cluster, after, names, Mark);
            Assert.All(after, v => Assert.NotEqual(crashed, v.Node));
        }
        finally
        {
            foreach (var pid in ProcessesWith(marker))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // gone already
                }
            }
        }
    }

    private static int HostNumber(string node) => int.Parse(node.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    private static string Describe(IEnumerable<VmRow> rows) => string.Join(", ", rows.Select(r => $"{r.Name}@{r.Node}:{r.State}"));

    private static bool IsVmEvent((string Type, JsonElement Fields) e, string vm) =>
        e.Type is "cluster.vm-placed.v1" or "cluster.vm-running.v1" && e.Fields.GetProperty("name").GetString() == vm;

    private static uint? Node((string Type, JsonElement Fields) e) =>
        e.Fields.TryGetProperty("node", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetUInt32() : null;

    private static bool IsVmOn((string Type, JsonElement Fields) e, string vm, int host) => IsVmEvent(e, vm) && Node(e) == (uint)host;

    private static int LastIndex<T>(IReadOnlyList<T> list, Func<T, bool> match)
    {
        for (var i = list.Count - 1; i >= 0; i--)
            if (match(list[i])) return i;
        return -1;
    }

    /// <summary>Waits until host <paramref name="host"/>'s `haven vm list` has every VM running, none on <paramref name="excluded"/>.</summary>
    private static Task<VmRow[]> WaitAllRunningAsync(E2eCluster cluster, int host, string[] names, string? excluded) =>
        E2eCluster.WaitForAsync(() => VmListAsync(cluster, host),
            rows => names.All(n => rows.Any(r => r.Name == n && r.State == "running" && r.Node is { } node && node != excluded)),
            Settle, $"every VM running{(excluded is null ? "" : $" off {excluded}")} in n{host}'s vm list");

    private static async Task<VmRow[]> VmListAsync(E2eCluster cluster, int host)
    {
        var (code, json, err) = await CliRunner.RunAsync("vm", "list", "--json", "--socket", cluster.Socket(host));
        Assert.True(code == 0, $"haven vm list on n{host} failed ({code}): {err}");
        return JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(v => new VmRow(v.GetProperty("name").GetString()!, v.GetProperty("node").GetString(), v.GetProperty("state").GetString()!)).ToArray();
    }

    /// <summary>
    /// Each VM has exactly one process on the whole machine, and it is the one the state file of the host
    /// the list names records (NODE/vms/NAME.json): the list agrees with the processes.
    /// </summary>
    private static void AssertProcessesMatch(E2eCluster cluster, VmRow[] rows, string[] names, Func<string, string> mark)
    {
        foreach (var name in names)
        {
            var row = rows.Single(r => r.Name == name);
            var pids = ProcessesWith(mark(name));
            Assert.True(pids.Count == 1, $"{name} has {pids.Count} processes ({string.Join(",", pids)}); the list says {row.Node}");
            var stateFile = Path.Combine(cluster.HostDir(HostNumber(row.Node!)), "vms", name + ".json");
            Assert.True(File.Exists(stateFile), $"{name} runs per the list on {row.Node}, but {stateFile} is missing");
            var recorded = JsonDocument.Parse(File.ReadAllText(stateFile)).RootElement.GetProperty("Pid").GetInt32();
            Assert.True(recorded == pids[0], $"{name}: the list says {row.Node}, whose state file records pid {recorded}, but the VM's process is {pids[0]}");
        }
    }

    private static List<int> ProcessesWith(string marker) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsDigit)).Select(int.Parse!)
            .Where(pid =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/cmdline").Contains(marker, StringComparison.Ordinal);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return false;
                }
            }).ToList();
}
