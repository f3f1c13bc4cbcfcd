using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;

namespace Haven.Actors.Cluster;

/// <summary>
/// After every membership change each member tells the others where its replicated history stands.
/// Hello, SyncOffer and PartitionDecided name the configuration (transport view id and members) they
/// belong to: one sent in an earlier configuration is ignored even when it arrives later.
/// <see cref="Fresh"/>: this incarnation of the host's cluster actor has not asked to leave, so a node the state
/// shows Left that says Hello Fresh has restarted since it left and may join again.
/// </summary>
public sealed record Hello(long ViewId, ImmutableArray<NodeId> View, PartitionRole Role, long Epoch, long Index, string Digest, bool Fresh);

/// <summary>
/// An operator's address move, for the host that holds the address: it releases the address on its interface
/// first and only then multicasts the release and the take, so the new holder never takes it too early.
/// </summary>
public sealed record MoveAddressRequest(string Ip, NodeId Target);

/// <summary>
/// A cluster-wide change proposed on <see cref="ClusterActor"/> of the sender, before it is multicast as an event: every
/// other member of the same configuration checks what it would run with after it (its own file &lt; reference.conf, the
/// cluster-wide settings with the change applied) with the validator its start uses, and answers with a
/// <see cref="SettingCheckAnswer"/>. <see cref="Value"/> null: the key is reset. Not journaled: a check lost with a
/// view change is refused at the proposer, and nothing changed.
/// </summary>
public sealed record SettingCheckRequest(long ViewId, ImmutableArray<NodeId> View, long RequestId, string Key, string? Value);

/// <summary>
/// A member's answer to the <see cref="SettingCheckRequest"/> <see cref="RequestId"/> of <see cref="Origin"/>: the problems the
/// change would bring to its start (each naming its key), empty when it can use the change.
/// </summary>
public sealed record SettingCheckAnswer(long ViewId, NodeId Origin, long RequestId, ImmutableArray<string> Problems);

/// <summary>
/// The sync source hands the members that are behind the records they lack (from index 0 when one diverged and the
/// source holds its whole history). <see cref="FromDigest"/>: the source's digest at <see cref="FromIndex"/>, by
/// which a member that holds only a later part of its history (a snapshot) finds the prefix both share; absent
/// from an older Haven's offers (ignored by an older Haven, as every unknown field is). A member behind the
/// source's snapshot gets a <see cref="SnapshotOffer"/> instead.
/// </summary>
public sealed record SyncOffer(long ViewId, ImmutableArray<NodeId> View, ImmutableArray<NodeId> Targets, long FromIndex, ImmutableArray<WireRecord> Records,
    string? FromDigest = null);

/// <summary>A record as it travels in a <see cref="SyncOffer"/>: the payload is the event's JSON text.</summary>
public sealed record WireRecord(string Manifest, string Payload);

/// <summary>
/// Several replicated events in one multicast (a DC round, an operator command): delivered, validated
/// and applied in order, and journaled in one write.
/// </summary>
public sealed record ReplicateBatch(ImmutableArray<WireRecord> Events);

/// <summary>The side's coordinator ran the split-brain resolver on a stable view.</summary>
public sealed record PartitionDecided(long ViewId, ImmutableArray<NodeId> View, bool Survives, bool DownAll, string Reason);

/// <summary>
/// The versioned envelope of everything multicast between Haven hosts: version, sender, sender's
/// sequence number, type (manifest) and body (JSON). A peer speaking another version is refused.
/// </summary>
public sealed record WireEnvelope(int Version, NodeId Sender, long Sequence, string Type, byte[] Body)
{
    public const int CurrentVersion = 1;

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", Version);
            json.WriteNumber("from", Sender.Value);
            json.WriteNumber("seq", Sequence);
            json.WriteString("type", Type);
            json.WritePropertyName("body");
            json.WriteRawValue(Body, skipInputValidation: true);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Decodes an envelope; a malformed one or another version throws <see cref="WireFormatException"/>.</summary>
    public static WireEnvelope Decode(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var version = root.GetProperty("v").GetInt32();
            var sender = new NodeId(root.GetProperty("from").GetUInt32());
            if (version != CurrentVersion)
                throw new WireFormatException($"message from node {sender.Value} speaks wire version {version}; this host speaks {CurrentVersion}");
            return new WireEnvelope(version, sender, root.GetProperty("seq").GetInt64(), root.GetProperty("type").GetString() ?? "",
                Encoding.UTF8.GetBytes(root.GetProperty("body").GetRawText()));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new WireFormatException($"malformed message ({bytes.Length} bytes): {e.Message}");
        }
    }
}

public sealed class WireFormatException(string message) : Exception(message);

/// <summary>Every type Haven's cluster journals or multicasts, under its stable manifest.</summary>
public static class ClusterManifests
{
    public static EventManifestRegistry Register(EventManifestRegistry registry) => Haven.Actors.Vms.VmManifests.Register(registry)
        .Register<NodeJoined>("cluster.node-joined.v1")
        .Register<NodeUp>("cluster.node-up.v1")
        .Register<NodeUnreachable>("cluster.node-unreachable.v1")
        .Register<NodeDown>("cluster.node-down.v1")
        .Register<NodeFenced>("cluster.node-fenced.v1")
        .Register<NodeHoldings>("cluster.node-holdings.v1")
        .Register<NodeLeaving>("cluster.node-leaving.v1")
        .Register<NodeLeft>("cluster.node-left.v1")
        .Register<NodeStandby>("cluster.node-standby.v1")
        .Register<NodeMaintenance>("cluster.node-maintenance.v1")
        .Register<NodeUnhealthy>("cluster.node-unhealthy.v1")
        .Register<NodeHealthy>("cluster.node-healthy.v1")
        .Register<PartitionDemoted>("cluster.partition-demoted.v1")
        .Register<DcChanged>("cluster.dc-changed.v1")
        .Register<RecoveryStarted>("cluster.startrecovery.v1")
        .Register<RecoveryCompleted>("cluster.recovered.v1")
        .Register<IpReleased>("cluster.releaseip.v1")
        .Register<IpTaken>("cluster.takeip.v1")
        .Register<IpReallocated>("cluster.ipreallocated.v1")
        .Register<FenceRequested>("cluster.fence-requested.v1")
        .Register<FenceSucceeded>("cluster.fence-succeeded.v1")
        .Register<FenceFailed>("cluster.fence-failed.v1")
        .Register<FenceConfirmed>("cluster.fence-confirmed.v1")
        .Register<SettingChanged>("cluster.setting-changed.v1")
        .Register<SettingReset>("cluster.setting-reset.v1")
        .Register<HeuristicsChanged>("cluster.heuristics-changed.v1")
        .Register<PrimaryFormed>("cluster.primary-formed.v1")
        .Register<DemotedLocally>("local.demoted.v1")
        .Register<ReleasedLocally>("local.released-ip.v1")
        .Register<LocalFactsReconciled>("local.reconciled.v1")
        .Register<StreamReset>("local.stream-reset.v1")
        .Register<Hello>("wire.hello.v1")
        .Register<SyncOffer>("wire.sync-offer.v1")
        .Register<SnapshotOffer>("wire.snapshot-offer.v1")
        .Register<StreamSnapshot>("local.stream-snapshot.v1")
        .Register<PartitionDecided>("wire.partition-decided.v1")
        .Register<ReplicateBatch>("wire.replicate-batch.v1")
        .Register<MoveAddressRequest>("wire.move-address.v1")
        .Register<SettingCheckRequest>("wire.setting-check.v1")
        .Register<SettingCheckAnswer>("wire.setting-check-answer.v1");
}
