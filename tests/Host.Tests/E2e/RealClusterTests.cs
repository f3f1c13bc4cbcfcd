using System.Diagnostics;
using Xunit.Abstractions;

namespace Haven.Host.Tests.E2e;

/// <summary>
/// Three real hosts (network namespaces, corosync, `haven daemon`) made by tests/e2e/cluster.sh.
/// The daemons' fencer is unconfigured: every fence fails, so these tests check what the resolver and
/// the DC decided (roles, NodeDown, FenceRequested), not recovery.
/// </summary>
[Collection("e2e")]
public class RealClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Form = TimeSpan.FromSeconds(30);

    internal static async Task<HostStatus[]> FormedAsync(E2eCluster cluster)
    {
        var names = Enumerable.Range(1, cluster.Hosts).Select(h => $"n{h}").ToArray();
        return await E2eCluster.WaitForAsync(
            () => Task.WhenAll(Enumerable.Range(1, cluster.Hosts).Select(cluster.StatusAsync)),
            all => all.All(s => s.Partition == "primary" && s.Dc == "n1" && names.All(n => s.States.GetValueOrDefault(n) == "up"))
                   && all.Select(s => s.Digest).Distinct().Count() == 1,
            Form, $"{cluster.Hosts} hosts primary with DC n1, every node up, identical digests");
    }

    [Fact]
    public async Task ThreeHosts_Started_AgreeOnMembersAndDc()
    {
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s");

        var all = await FormedAsync(cluster);

        Assert.All(all, s => Assert.True(s.Quorate, $"{s.Node} is not quorate"));
        Assert.Equal(["n1", "n2", "n3"], all.Select(s => s.Node));
        Assert.Single(all.Select(s => string.Join(",", s.States.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}"))).Distinct());
        Assert.Single((await cluster.DigestsAsync()).Distinct());
        var joined = (await cluster.ClusterEventsAsync(2)).Where(e => e.Type == "cluster.node-joined.v1").Select(e => e.Fields.GetProperty("name").GetString());
        Assert.Equal(["n1", "n2", "n3"], joined.Order());
    }

    [Fact]
    public async Task DaemonKilled_Survivors_SeeItWithinASecondAndDownAndFenceIt()
    {
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s");
        await FormedAsync(cluster);

        var clock = Stopwatch.StartNew();
        await cluster.KillAsync(3);
        // A membership change turns the primary into "joining" until the resolver decides again.
        await E2eCluster.WaitForAsync(() => cluster.StatusAsync(1), s => s.Partition != "primary" || s.States["n3"] != "up",
            TimeSpan.FromSeconds(5), "n1 to notice that n3's daemon died");
        var seen = clock.Elapsed;
        output.WriteLine($"daemon death seen by n1 after {seen.TotalMilliseconds:0} ms (harness kill included)");
        Assert.True(seen < TimeSpan.FromSeconds(1), $"n1 saw the death of n3's daemon only after {seen.TotalMilliseconds:0} ms");

        await E2eCluster.WaitForAsync(
            () => Task.WhenAll(cluster.StatusAsync(1), cluster.StatusAsync(2)),
            s => s.All(x => x.Partition == "primary" && x.Dc == "n1" && x.States["n3"] == "down"),
            TimeSpan.FromSeconds(15), "n1 and n2 primary with n3 down");
        await cluster.WaitForIdenticalDigestsOfAsync([1, 2], TimeSpan.FromSeconds(10));
        foreach (var host in new[] { 1, 2 })
        {
            var events = await cluster.ClusterEventsAsync(host);
            Assert.Contains(events, e => e.Type == "cluster.node-down.v1" && e.Fields.GetProperty("node").GetUInt32() == 3);
            Assert.Contains(events, e => e.Type == "cluster.fence-requested.v1" && e.Fields.GetProperty("target").GetUInt32() == 3);
            Assert.DoesNotContain(events, e => e.Type == "cluster.node-fenced.v1"); // the fencer is unconfigured: nothing is confirmed off
        }
    }

    [Fact]
    public async Task LinkCut_IsolatedHostDemotes_AndAfterMendProvesWhatItHoldsAndIsUpAgain()
    {
        // Haven's defaults: fencing off. A blip must not take a host out for ever (Pacemaker with fencing disabled,
        // CTDB and keepalived all take it back): the returning host proves what it holds and the DC readmits it.
        const string address = "10.213.1.100";
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s", "--public", address + "/24");
        await FormedAsync(cluster);
        await E2eCluster.WaitForAsync(() => cluster.HoldersAsync(address), h => h.Length == 1, TimeSpan.FromSeconds(20), $"{address} on one host");
        var before = await cluster.StatusAsync(3);

        await cluster.CutAsync(3);
        var split = await E2eCluster.WaitForAsync(
            () => Task.WhenAll(Enumerable.Range(1, 3).Select(cluster.StatusAsync)),
            s => s[0].Partition == "primary" && s[1].Partition == "primary" && s[0].States["n3"] == "down" && s[2].Partition == "minority",
            TimeSpan.FromSeconds(20), "n1 and n2 primary with n3 down, n3 minority");
        Assert.Null(split[2].Dc);
        Assert.Equal("n1", split[0].Dc);
        Assert.Equal(before.Digest, split[2].Digest); // the minority applied nothing while demoted
        await E2eCluster.WaitForAsync(() => CliRunner.RunAsync("cluster", "status", "--socket", cluster.Socket(1)),
            r => r.Out.Contains("fencing is disabled"), TimeSpan.FromSeconds(20), "n1's status to show that n3 cannot be fenced");

        await cluster.MendAsync(3);
        var clock = Stopwatch.StartNew();
        var back = await E2eCluster.WaitForAsync(
            () => Task.WhenAll(Enumerable.Range(1, 3).Select(cluster.StatusAsync)),
            s => s.All(x => x.Partition == "primary" && x.Dc == "n1" && x.States.Values.All(v => v == "up")),
            TimeSpan.FromSeconds(15), "n3 back in the primary partition and up within 15 s of the mend");
        output.WriteLine($"n3 up {clock.ElapsedMilliseconds} ms after the mend");
        var digests = await cluster.WaitForIdenticalDigestsAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"after mend: {digests[0]} on all three");
        foreach (var host in new[] { 1, 2, 3 })
        {
            var events = await cluster.ClusterEventsAsync(host);
            var down = events.ToList().FindLastIndex(e => e.Type == "cluster.node-down.v1" && e.Fields.GetProperty("node").GetUInt32() == 3);
            var proof = events.ToList().FindLastIndex(e => e.Type == "cluster.node-holdings.v1" && e.Fields.GetProperty("node").GetUInt32() == 3);
            var joined = events.ToList().FindLastIndex(e => e.Type == "cluster.node-joined.v1" && e.Fields.GetProperty("node").GetUInt32() == 3);
            Assert.True(down >= 0 && down < proof && proof < joined, $"n{host}: n3 downed (#{down}), then reported what it holds (#{proof}), then joined (#{joined})");
            Assert.DoesNotContain(events, e => e.Type is "cluster.node-fenced.v1" or "cluster.fence-succeeded.v1"); // nothing was confirmed off
        }
        // The address is on exactly one host again: the one the cluster state gives it to.
        var holders = await E2eCluster.WaitForAsync(() => cluster.HoldersAsync(address), h => h.Length == 1, TimeSpan.FromSeconds(20), $"{address} on one host after the mend");
        var (_, ips, _) = await CliRunner.RunAsync("ip", "list", "--socket", cluster.Socket(1));
        Assert.Matches($@"(?m)^\s*{System.Text.RegularExpressions.Regex.Escape(address)}\b.*\bn{holders[0]}\b", ips);
        Assert.Equal(3, back.Length);
    }

    [Fact]
    public async Task CorosyncRestarted_DaemonReportsItAloneThenReconnectsAndResyncs()
    {
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s");
        await FormedAsync(cluster);

        await cluster.HarnessAsync("corosync-stop", "3");
        await E2eCluster.WaitForAsync(() => cluster.StatusAsync(3), s => s.Partition != "primary" && !s.Quorate,
            TimeSpan.FromSeconds(10), "n3 to drop out of the primary once its corosync is gone");
        await cluster.HarnessAsync("corosync-start", "3");

        await E2eCluster.WaitForAsync(
            () => Task.WhenAll(Enumerable.Range(1, 3).Select(cluster.StatusAsync)),
            s => s.All(x => x.Partition == "primary" && x.Dc == "n1"),
            TimeSpan.FromSeconds(30), "n3 reconnected and back in the primary partition");
        await cluster.WaitForIdenticalDigestsAsync(TimeSpan.FromSeconds(20));
    }
}
