using Xunit.Abstractions;

namespace Haven.Host.Tests.E2e;

/// <summary>
/// Floating-address failover on a real cluster (tests/e2e/cluster.sh with --public and --fence): a client
/// namespace on the hosts' public network probes the address by ARP every 10 ms while its holder dies.
/// The fence device is the harness's script, which powers a host "off" (both links down, its daemon and
/// corosync killed). Correctness only: who answers, in which order, never two at once; no timing.
/// </summary>
[Collection("e2e")]
public class FailoverTests(ITestOutputHelper output)
{
    private const string Address = "10.213.1.100";
    private static readonly TimeSpan Move = TimeSpan.FromSeconds(30);

    private static async Task<int> SingleHolderAsync(E2eCluster cluster) =>
        (await E2eCluster.WaitForAsync(() => cluster.HoldersAsync(Address), h => h.Length == 1, Move, $"exactly one host holding {Address}"))[0];

    private static async Task<int> NewHolderAsync(E2eCluster cluster, int old) =>
        (await E2eCluster.WaitForAsync(() => cluster.HoldersAsync(Address), h => h.Count(x => x != old) == 1, Move, $"a host other than n{old} holding {Address}"))
        .Single(x => x != old);

    /// <summary>Can the client reach host <paramref name="host"/>'s own public address (10.213.1.I) by ARP?</summary>
    private static Task<bool> ClientReachesAsync(E2eCluster cluster, int host) => cluster.ClientArpingAsync($"10.213.1.{host}");

    private async Task<(int Old, int New, ProbeSummary Probe)> FailOverAsync(E2eCluster cluster, Func<int, Task> kill)
    {
        await RealClusterTests.FormedAsync(cluster);
        var old = await SingleHolderAsync(cluster);
        var oldMac = await cluster.MacAsync(old);
        Assert.True(await ClientReachesAsync(cluster, old), $"the client cannot reach n{old} before the failover");
        await using var prober = ArpProber.Start(cluster, Address);
        await prober.WaitForReplyFromAsync(oldMac, TimeSpan.FromSeconds(10));

        await kill(old);
        var now = await NewHolderAsync(cluster, old);
        var newMac = await cluster.MacAsync(now);
        await prober.WaitForReplyFromAsync(newMac, Move);
        var probe = await prober.StopAsync();
        output.WriteLine($"n{old} ({oldMac}) -> n{now} ({newMac}); prober: {probe}");

        Assert.NotEqual(old, now);
        Assert.NotEqual(oldMac, newMac);
        Assert.Equal(0, probe.Conflicts);
        Assert.Equal(2, probe.MacRuns);
        Assert.Equal([oldMac, newMac], probe.Macs.Select(m => m.Mac)); // one MAC before, the other after, never back
        return (old, now, probe);
    }

    private static async Task AssertFencedBeforeTakeoverAsync(E2eCluster cluster, int old, int now)
    {
        var status = await E2eCluster.WaitForAsync(() => cluster.StatusAsync(now), s => s.States[$"n{old}"] == "fenced", Move, $"n{old} fenced in n{now}'s view");
        Assert.Equal("primary", status.Partition);
        var events = await cluster.ClusterEventsAsync(now);
        Assert.Contains(events, e => e.Type == "cluster.fence-succeeded.v1" && e.Fields.GetProperty("target").GetUInt32() == (uint)old);
        var calls = File.ReadAllLines(Path.Combine(cluster.StateDir, "fence", "calls"));
        Assert.Contains(calls, c => c.EndsWith($" n{old} stop", StringComparison.Ordinal));
        // Really off: the client no longer reaches the fenced host at all, not even its own address.
        Assert.False(await ClientReachesAsync(cluster, old), $"n{old} still answers after it was fenced");
    }

    [Fact]
    public async Task HolderCrashed_AddressAnswersFromASurvivorAfterFencing_NeverTwoMacsAtOnce()
    {
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s", "--public", Address + "/24", "--fence");

        var (old, now, _) = await FailOverAsync(cluster, cluster.CrashAsync); // daemon kill -9 and both links down

        await AssertFencedBeforeTakeoverAsync(cluster, old, now);
    }

    [Fact]
    public async Task HolderDaemonKilled_OldHostAnswersUntilFenced_ThenOnlyTheSurvivor()
    {
        // Only the daemon dies: the holder's kernel keeps the address and answers ARP until the fence
        // takes its links down. A survivor taking it before that would show as two MACs in one interval.
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s", "--public", Address + "/24", "--fence");

        var (old, now, probe) = await FailOverAsync(cluster, cluster.KillAsync);

        await AssertFencedBeforeTakeoverAsync(cluster, old, now);
        Assert.True(probe.Macs[0].Replies > 1, "the old holder never answered before the failover");
    }
}
