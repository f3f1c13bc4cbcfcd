using System.Collections.Immutable;
using System.Globalization;

namespace Haven.Actors.Membership;

/// <summary>A cluster node's id: Corosync's nodeid (a positive 32-bit number). Ordered by value; JSON as a plain number.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(NodeIdJsonConverter))]
public readonly record struct NodeId(uint Value) : IComparable<NodeId>
{
    public int CompareTo(NodeId other) => Value.CompareTo(other.Value);

    public static bool operator <(NodeId left, NodeId right) => left.Value < right.Value;
    public static bool operator >(NodeId left, NodeId right) => left.Value > right.Value;
    public static bool operator <=(NodeId left, NodeId right) => left.Value <= right.Value;
    public static bool operator >=(NodeId left, NodeId right) => left.Value >= right.Value;

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>How a node is shown to an operator when its name is not known: "node 3" (the one form; a known name is shown instead).</summary>
    public string Unnamed => $"node {Value.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>A member of the process group: the node id and its configured name.</summary>
public sealed record Member(NodeId Id, string Name);

/// <summary>Why a member joined or left a configuration; the values are Corosync CPG's CPG_REASON_*.</summary>
public enum MembershipChangeReason
{
    /// <summary>The process joined the group (cpg_join).</summary>
    Join = 1,

    /// <summary>The process left the group cleanly (cpg_leave).</summary>
    Leave = 2,

    /// <summary>The node dropped out of the membership: it crashed or is on the other side of a partition.</summary>
    NodeDown = 3,

    /// <summary>The node came back into the membership with its process already in the group (a merge).</summary>
    NodeUp = 4,

    /// <summary>The process died while its node stayed in the membership.</summary>
    ProcDown = 5,
}

/// <summary>
/// A new configuration (view) of the process group, as one member sees it. <see cref="Members"/> is the
/// whole new view sorted by node id; <see cref="Left"/> and <see cref="Joined"/> are the difference to
/// this member's previous view. A member that has just joined sees only itself (and whoever joined in
/// the same step) in <see cref="Joined"/>, as CPG reports it. Equality compares the contents.
/// </summary>
public sealed record MembershipChanged(
    ImmutableArray<Member> Members,
    ImmutableArray<(Member Member, MembershipChangeReason Reason)> Left,
    ImmutableArray<(Member Member, MembershipChangeReason Reason)> Joined)
{
    /// <summary>
    /// Identifies this configuration, equal on every member that installs it and different for every
    /// new one (Corosync's ring sequence); 0 when the transport cannot tell. Messages carry it so that
    /// one sent in an earlier configuration with the same members is not taken for a current one.
    /// </summary>
    public long ViewId { get; init; }

    public bool Contains(NodeId node)
    {
        foreach (var m in Members)
            if (m.Id == node) return true;
        return false;
    }

    public bool Equals(MembershipChanged? other) =>
        other is not null
        && Members.SequenceEqual(other.Members)
        && Left.SequenceEqual(other.Left)
        && Joined.SequenceEqual(other.Joined);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var m in Members) hash.Add(m);
        hash.Add(Left.Length);
        hash.Add(Joined.Length);
        return hash.ToHashCode();
    }

    public override string ToString() =>
        $"MembershipChanged(members [{string.Join(",", Members.Select(m => m.Id))}], "
        + $"left [{string.Join(",", Left.Select(l => $"{l.Member.Id}:{l.Reason}"))}], "
        + $"joined [{string.Join(",", Joined.Select(j => $"{j.Member.Id}:{j.Reason}"))}])";
}

/// <summary>votequorum's view after a membership change: whether this partition is quorate, with how many votes.</summary>
public sealed record QuorumChanged(bool Quorate, int Votes, int ExpectedVotes);

/// <summary>Writes a <see cref="NodeId"/> as its number (<c>3</c>, not <c>{"value":3}</c>), in events and on the wire.</summary>
public sealed class NodeIdJsonConverter : System.Text.Json.Serialization.JsonConverter<NodeId>
{
    public override NodeId Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        new(reader.GetUInt32());

    public override void Write(System.Text.Json.Utf8JsonWriter writer, NodeId value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.Value);

    public override NodeId ReadAsPropertyName(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        new(uint.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture));

    public override void WriteAsPropertyName(System.Text.Json.Utf8JsonWriter writer, NodeId value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WritePropertyName(value.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
