using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Haven.Actors.Membership;
using Microsoft.Extensions.Logging;
using static Haven.Adapters.Corosync.CorosyncNative;

namespace Haven.Adapters.Corosync;

/// <summary>
/// The callbacks corosync calls from cpg_dispatch/votequorum_dispatch on the dispatch thread. Each
/// copies what it needs out of corosync's memory (valid only during the call) and catches everything:
/// an exception escaping an unmanaged callback would kill the process.
/// </summary>
public sealed unsafe partial class CorosyncTransport
{
    [UnmanagedCallersOnly]
    private static void OnDeliver(ulong handle, CpgName* group, uint nodeId, uint pid, void* message, nuint length)
    {
        if (!ByCpgHandle.TryGetValue(handle, out var transport)) return;
        try
        {
            var payload = new ReadOnlySpan<byte>(message, checked((int)length)).ToArray();
            transport.RaiseDelivered(nodeId, payload);
        }
        catch (Exception e)
        {
            transport._log.LogError(e, "Handling a message from node {NodeId} failed", nodeId);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnConfChg(ulong handle, CpgName* group,
        CpgAddress* members, nuint memberCount, CpgAddress* left, nuint leftCount, CpgAddress* joined, nuint joinedCount)
    {
        if (!ByCpgHandle.TryGetValue(handle, out var transport)) return;
        try
        {
            transport.ConfigurationChanged(Copy(members, memberCount), Copy(left, leftCount), Copy(joined, joinedCount));
        }
        catch (Exception e)
        {
            transport._log.LogError(e, "Handling a corosync membership change failed");
        }
    }

    [UnmanagedCallersOnly]
    private static void OnTotemConfChg(ulong handle, CpgRingId ringId, uint memberCount, uint* members)
    {
        if (!ByCpgHandle.TryGetValue(handle, out var transport)) return;
        try
        {
            transport._log.LogDebug("Totem ring {RingNode}.{RingSeq}: {Count} nodes", ringId.NodeId, ringId.Seq, memberCount);
        }
        catch
        {
            // logging must never take the process down
        }
    }

    [UnmanagedCallersOnly]
    private static void OnQuorum(ulong handle, ulong context, uint quorate, uint nodeCount, VoteQuorumNode* nodes)
    {
        if (!ByQuorumHandle.TryGetValue(handle, out var transport)) return;
        try
        {
            VoteQuorumInfo info;
            var votes = 0;
            var expected = 0;
            if (VoteQuorumGetInfo(handle, 0, &info) == CorosyncErrors.Ok)
            {
                votes = (int)info.TotalVotes;
                expected = (int)info.NodeExpectedVotes;
            }
            else
            {
                for (var i = 0; i < (int)nodeCount; i++)
                    if (nodes[i].State == 1) votes++; // VOTEQUORUM_NODESTATE_MEMBER, one vote each
                expected = (int)nodeCount;
            }
            transport.RaiseQuorum(new QuorumChanged(quorate != 0, votes, expected));
        }
        catch (Exception e)
        {
            transport._log.LogError(e, "Handling a votequorum notification failed");
        }
    }

    private static CpgEntry[] Copy(CpgAddress* list, nuint count)
    {
        var entries = new CpgEntry[checked((int)count)];
        for (var i = 0; i < entries.Length; i++) entries[i] = new CpgEntry(list[i].NodeId, list[i].Pid, list[i].Reason);
        return entries;
    }

    private void ConfigurationChanged(CpgEntry[] members, CpgEntry[] left, CpgEntry[] joined)
    {
        var unknown = new HashSet<uint>();
        var change = _members.Translate(members, left, joined, unknown);
        ReportUnknown(unknown);
        var pid = (uint)Environment.ProcessId;
        _ownJoinSeen = members.Any(m => m.NodeId == _corosyncNodeId && m.Pid == pid);
        if (members.Count(m => m.NodeId == _corosyncNodeId) > 1)
            _log.LogError("Two processes of node {NodeId} are in group {Group}: is a second haven daemon running on this host?", _corosyncNodeId, _group);
        RaiseMembership(change);
    }
}
