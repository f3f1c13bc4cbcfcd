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
