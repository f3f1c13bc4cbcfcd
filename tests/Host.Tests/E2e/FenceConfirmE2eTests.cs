namespace Haven.Host.Tests.E2e;

/// <summary>
/// `haven fence confirm` on a real cluster with Haven's defaults (fencing off): a host cut off stays
/// down until the operator states it is off; then every survivor journals the confirmation.
/// </summary>
[Collection("e2e")]
public class FenceConfirmE2eTests
{
    [Fact]
    public async Task CutHostConfirmedOff_IsFencedOnBothSurvivors_MemberIsRefused()
    {
        await using var cluster = await E2eCluster.UpAsync(3, "--token", "500", "--stable-after", "1s");
        await RealClusterTests.FormedAsync(cluster);

        await cluster.CutAsync(3);
        await E2eCluster.WaitForAsync(() => Task.WhenAll(cluster.StatusAsync(1), cluster.StatusAsync(2)),
            s => s.All(x => x.Partition == "primary" && x.States["n3"] == "down"), TimeSpan.FromSeconds(20), "n1 and n2 primary with n3 down");

        // Fencing is off: the fence failed once, as impossible, and both status and health say why.
        await E2eCluster.WaitForAsync(() => CliRunner.RunAsync("cluster", "status", "--socket", cluster.Socket(2)),
            r => r.Out.Contains("down (fence failed: refused by the fencing rules: fencing is disabled"), TimeSpan.FromSeconds(20), "n2's status to show why n3 is not fenced");
        var (_, health, _) = await CliRunner.RunAsync("health", "--socket", cluster.Socket(1));
        Assert.Matches(@"(?m)^ERROR\s+peer n3\s+down, fence failed: refused by the fencing rules: fencing is disabled.*not retried until the fencing rules change", health);

        var (member, _, memberErr) = await CliRunner.RunAsync("fence", "confirm", "n2", "--reason", "it is off", "--yes", "--socket", cluster.Socket(1));
        Assert.Equal(1, member);
        Assert.Contains("node n2 is a member of the cluster right now, so it is not off", memberErr);

        var (code, output, err) = await CliRunner.RunAsync("fence", "confirm", "n3", "--reason", "pulled its power cords (ticket 4711)", "--yes", "--socket", cluster.Socket(1));
        Assert.True(code == 0, err);
        Assert.Contains("node n3 is confirmed off by the operator", output);

        await E2eCluster.WaitForAsync(() => Task.WhenAll(cluster.StatusAsync(1), cluster.StatusAsync(2)),
            s => s.All(x => x.States["n3"] == "fenced"), TimeSpan.FromSeconds(10), "n3 fenced on n1 and n2");
        await cluster.WaitForIdenticalDigestsOfAsync([1, 2], TimeSpan.FromSeconds(10));
        foreach (var host in new[] { 1, 2 })
        {
            var confirmed = (await cluster.ClusterEventsAsync(host)).Single(e => e.Type == "cluster.fence-confirmed.v1").Fields;
            Assert.Equal("pulled its power cords (ticket 4711)", confirmed.GetProperty("reason").GetString());
        }
    }
}
