using System.Collections.Immutable;
using System.Globalization;
using Haven.Actors.Membership;

namespace Haven.Adapters.Corosync;

/// <summary>One entry of a CPG list as corosync reports it.</summary>
internal readonly record struct CpgEntry(uint NodeId, uint Pid, uint Reason);

/// <summary>
/// Turns CPG's member/left/joined lists into a <see cref="MembershipChanged"/> with the configured
/// node names. Pure: unknown node ids are returned for the caller to log.
/// </summary>
internal sealed class CorosyncMembers(ImmutableArray<Member> nodes)
{
    private readonly ImmutableDictionary<uint, Member> _byId = nodes.ToImmutableDictionary(n => n.Id.Value);

    /// <summary>The configured member for a node id, or a placeholder named <c>unknown-ID</c>.</summary>
    public Member Resolve(uint nodeId, out bool known)
    {
        known = _byId.TryGetValue(nodeId, out var member);
        return member ?? new Member(new NodeId(nodeId), "unknown-" + nodeId.ToString(CultureInfo.InvariantCulture));
    }

    public static MembershipChangeReason Reason(uint cpgReason) => cpgReason switch
    {
        1 => MembershipChangeReason.Join,
        2 => MembershipChangeReason.Leave,
        3 => MembershipChangeReason.NodeDown,
        4 => MembershipChangeReason.NodeUp,
        5 => MembershipChangeReason.ProcDown,
        _ => MembershipChangeReason.NodeDown, // CPG_REASON_UNDEFINED and anything newer: treat as gone
    };

    /// <summary>
    /// The change as Haven sees it: members sorted by id and one entry per node (two processes of one
    /// node count once). A node is in Left only when no process of it remains in the members.
    /// </summary>
    public MembershipChanged Translate(ReadOnlySpan<CpgEntry> members, ReadOnlySpan<CpgEntry> left, ReadOnlySpan<CpgEntry> joined, ISet<uint> unknown)
    {
        var memberIds = new SortedSet<uint>();
        foreach (var m in members) memberIds.Add(m.NodeId);
        var view = memberIds.Select(id => Lookup(id, unknown)).ToImmutableArray();
        var gone = ImmutableArray.CreateBuilder<(Member, MembershipChangeReason)>();
        var seen = new HashSet<uint>();
        foreach (var l in left)
            if (!memberIds.Contains(l.NodeId) && seen.Add(l.NodeId)) gone.Add((Lookup(l.NodeId, unknown), Reason(l.Reason)));
        var came = ImmutableArray.CreateBuilder<(Member, MembershipChangeReason)>();
        seen.Clear();
        foreach (var j in joined)
            if (seen.Add(j.NodeId)) came.Add((Lookup(j.NodeId, unknown), Reason(j.Reason)));
        return new MembershipChanged(view, gone.ToImmutable(), came.ToImmutable());
    }

    /// <summary>What this node reports when it loses corosync: alone, everyone else gone (node down).</summary>
    public MembershipChanged Isolated(Member self, IEnumerable<Member> previous) =>
        new([self], [.. previous.Where(m => m.Id != self.Id).Select(m => (m, MembershipChangeReason.NodeDown))], []);

    private Member Lookup(uint id, ISet<uint> unknown)
    {
        var member = Resolve(id, out var known);
        if (!known) unknown.Add(id);
        return member;
    }
}
