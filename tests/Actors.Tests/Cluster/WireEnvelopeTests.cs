using System.Text;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

public class WireEnvelopeTests : HavenTestKit
{
    [Fact]
    public void Envelope_RoundTrips()
    {
        var envelope = new WireEnvelope(WireEnvelope.CurrentVersion, new NodeId(3), 42, "cluster.node-up.v1", """{"node":3}"""u8.ToArray());
        var decoded = WireEnvelope.Decode(envelope.Encode());
        Assert.Equal((1, new NodeId(3), 42L, "cluster.node-up.v1"), (decoded.Version, decoded.Sender, decoded.Sequence, decoded.Type));
        Assert.Equal("""{"node":3}""", Encoding.UTF8.GetString(decoded.Body));
    }

    [Fact]
    public void Envelope_OtherVersion_IsRefusedNamingSenderAndVersion()
    {
        var bytes = """{"v":2,"from":5,"seq":1,"type":"x","body":{}}"""u8.ToArray();
        var e = Assert.Throws<WireFormatException>(() => WireEnvelope.Decode(bytes));
        Assert.Contains("node 5", e.Message);
        Assert.Contains("version 2", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("""{"v":1}""")]
    [InlineData("""{"v":"one","from":1,"seq":1,"type":"x","body":{}}""")]
    [InlineData("[1,2,3]")]
    public void Envelope_Malformed_IsAWireFormatException(string text)
    {
        Assert.Throws<WireFormatException>(() => WireEnvelope.Decode(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void MalformedPeerMessages_AreRefused_ClusterCarriesOn()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var digest = cluster[1].View!.StreamDigest;

        var transport = cluster.Network.Transport(new NodeId(2));
        transport.MulticastAsync("garbage"u8.ToArray());
        transport.MulticastAsync("""{"v":9,"from":2,"seq":1,"type":"cluster.node-down.v1","body":{"node":1,"reason":"x"}}"""u8.ToArray());
        transport.MulticastAsync(new WireEnvelope(1, new NodeId(2), 99, "cluster.no-such-event.v1", "{}"u8.ToArray()).Encode());
        transport.MulticastAsync(new WireEnvelope(1, new NodeId(2), 100, "cluster.node-down.v1", "{\"node\": tru"u8.ToArray()).Encode());
        cluster.Run(TimeSpan.FromSeconds(5));

        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        Assert.All(cluster.Hosts, h => Assert.Equal(digest, h.View!.StreamDigest)); // nothing applied
        Assert.Equal(NodeState.Up, cluster[2].View!.State.StateOf(new NodeId(1)));
    }
}
