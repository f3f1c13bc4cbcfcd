namespace Haven.Host.Tests.E2e;

/// <summary>A host whose haven.cluster.name differs from its corosync's totem.cluster_name must not join.</summary>
[Collection("e2e")]
public class ClusterNameTests
{
    [Fact]
    public async Task ClusterNameNotCorosyncs_HostRefusesToJoinSayingWhy()
    {
        var extra = Path.Combine(Path.GetTempPath(), $"haven-e2e-name-{Guid.NewGuid():N}.conf");
        File.WriteAllText(extra, "haven.cluster.name = some-other-cluster\n");
        try
        {
            await using var cluster = await E2eCluster.UpAsync(1, "--token", "500", "--extra", extra);
            var refusals = await E2eCluster.WaitForAsync(
                () => Task.FromResult(E2eCluster.ReadLog(cluster.Log(1)).Split('\n').Count(l => l.Contains("but haven.cluster.name is \"some-other-cluster\""))),
                n => n >= 1, TimeSpan.FromSeconds(30), "the daemon to log the cluster name mismatch");
            Assert.True(refusals >= 1);
            var status = await cluster.StatusAsync(1);
            Assert.Equal("joining", status.Partition);
        }
        finally
        {
            File.Delete(extra);
        }
    }
}
