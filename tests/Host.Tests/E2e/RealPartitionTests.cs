using Xunit.Abstractions;

namespace Haven.Host.Tests.E2e;

/// <summary>Two-host heuristics and a flapping link, on real corosync in network namespaces.</summary>
[Collection("e2e")]
public class RealPartitionTests(ITestOutputHelper output)
{
    private static async Task<HostStatus[]> SplitDecidedAsync(E2eCluster cluster) =>
        await E2eCluster.WaitForAsync(
            () => Task.WhenAll(cluster.StatusAsync(1), cluster.StatusAsync(2)),
            s => s.All(x => x.Partition is "primary" or "minority")
                 && (s.Any(x => x.Partition == "minority") || s[0].States["n2"] == "down" || s[1].States["n1"] == "down"),
            TimeSpan.FromSeconds(20), "both hosts decided after the cut");

    private static async Task WaitForLogAsync(E2eCluster cluster, int host, string text) =>
        await E2eCluster.WaitForAsync(() => Task.FromResult(E2eCluster.ReadLog(cluster.Log(host)).Contains(text)),
            found => found, TimeSpan.FromSeconds(15), $"n{host}'s log to say \"{text}\"");

    [Fact]
    public async Task TwoHostsWithHeuristics_CutWhileOnlyTheSecondReachesTheGateway_OnlyTheSecondSurvives()
    {
        // Without heuristics the 2-node tie goes to the lowest id (n1): the heuristics must overturn that.
        await using var cluster = await E2eCluster.UpAsync(2, "--token", "500", "--stable-after", "1s", "--heuristics");
        await RealClusterTests.FormedAsync(cluster);
        await WaitForLogAsync(cluster, 1, "Heuristic addresses are reachable from n1");

        await cluster.UplinkCutAsync(1); // n1 can no longer reach the heuristic gateway; n2 still can
        await WaitForLogAsync(cluster, 1, "Heuristic addresses are NOT reachable from n1");
        await cluster.CutAsync(2);

        var s = await SplitDecidedAsync(cluster);
        Assert.Equal(["minority", "primary"], s.Select(x => x.Partition));
        await E2eCluster.WaitForAsync(() => cluster.StatusAsync(2), x => x.States["n1"] == "down" && x.Dc == "n2", TimeSpan.FromSeconds(10), "n2 to down n1 and be the DC");
    }

    [Fact]
    public async Task TwoHostsWithHeuristics_CutWhileBothReachTheGateway_ExactlyOneSurvives()
    {
        await using var cluster = await E2eCluster.UpAsync(2, "--token", "500", "--stable-after", "1s", "--heuristics");
        await RealClusterTests.FormedAsync(cluster);
        await WaitForLogAsync(cluster, 1, "Heuristic addresses are reachable from n1");
        await WaitForLogAsync(cluster, 2, "Heuristic addresses are reachable from n2");

        await cluster.CutAsync(2);

        var s = await SplitDecidedAsync(cluster);
        Assert.Equal(1, s.Count(x => x.Partition == "primary"));
        Assert.Equal(1, s.Count(x => x.Partition == "minority"));
        output.WriteLine($"survivor: {s.Single(x => x.Partition == "primary").Node}");
    }

    [Fact]
    public async Task FlappingLink_TenQuickCuts_NoDecisionBeforeStableAfterAndNoEventLost()
    {
        var extra = Path.Combine(Path.GetTempPath(), $"haven-e2e-flap-{Guid.NewGuid():N}.conf");
        File.WriteAllText(extra, "haven.split-brain-resolver.down-all-when-unstable = off\n");
        try
        {
            await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "5s", "--extra", extra);
            var formed = await RealClusterTests.FormedAsync(cluster);
            var index = formed[0].Index;
            var seen = new HashSet<string>();
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(700));
            for (var i = 0; i < 10; i++)
            {
                await cluster.CutAsync(3);
                await timer.WaitForNextTickAsync();
                seen.Add((await cluster.StatusAsync(3)).Partition);
                await cluster.MendAsync(3);
                await timer.WaitForNextTickAsync();
                foreach (var h in new[] { 1, 2, 3 }) seen.Add((await cluster.StatusAsync(h)).Partition);
            }
            output.WriteLine($"partitions seen while flapping: {string.Join(",", seen)}");
            Assert.DoesNotContain("minority", seen); // nobody was demoted: no decision while the view kept changing

            var settled = await RealClusterTests.FormedAsync(cluster);
            Assert.All(settled, x => Assert.True(x.Index >= index, $"{x.Node} lost events: index {x.Index} < {index}"));
            Assert.Single((await cluster.DigestsAsync()).Distinct());
            foreach (var h in new[] { 1, 2, 3 })
            {
                var events = await cluster.ClusterEventsAsync(h);
                Assert.DoesNotContain(events, e => e.Type is "cluster.node-down.v1" or "cluster.fence-requested.v1");
            }
            var changes = E2eCluster.ReadLog(cluster.Log(3)).Split('\n').Count(l => l.Contains("Membership of"));
            output.WriteLine($"n3 saw {changes} membership changes");
            Assert.True(changes >= 3, $"the flapping link should have changed the membership (n3 saw {changes} changes); the test proves nothing otherwise");
        }
        finally
        {
            File.Delete(extra);
        }
    }
}
