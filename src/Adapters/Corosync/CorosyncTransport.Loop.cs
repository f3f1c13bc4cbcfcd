using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using static Haven.Adapters.Corosync.CorosyncNative;

namespace Haven.Adapters.Corosync;

/// <summary>The dispatch thread: connect (with backoff), poll, dispatch, send, reconnect, leave.</summary>
public sealed unsafe partial class CorosyncTransport
{
    private static readonly ConcurrentDictionary<ulong, CorosyncTransport> ByCpgHandle = new();
    private static readonly ConcurrentDictionary<ulong, CorosyncTransport> ByQuorumHandle = new();

    private ulong _cpg;
    private ulong _quorum;
    private int _cpgFd = -1;
    private int _quorumFd = -1;
    private bool _connected;
    private bool _sendBlocked;
    private uint _corosyncNodeId;

    private void Run()
    {
        var backoff = _options.MinBackoff;
        while (!_stopping)
        {
            try
            {
                if (_leaveDone is not null && !_connected)
                {
                    FinishLeave();
                    continue;
                }
                if (_group is null)
                {
                    _wake.Wait(-1);
                    continue;
                }
                if (!_connected)
                {
                    if (!TryConnect(_group, out var error))
                    {
                        _log.LogError("{Error}; retrying in {Delay} s", error, backoff.TotalSeconds);
                        _wake.Wait((int)backoff.TotalMilliseconds);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                        continue;
                    }
                    backoff = _options.MinBackoff;
                }
                Pump();
            }
            catch (Exception e)
            {
                _log.LogError(e, "Corosync dispatch loop failed; reconnecting");
                Disconnect();
                _wake.Wait((int)backoff.TotalMilliseconds);
            }
        }
        if (_connected) LeaveAndFinalize();
        FailPendingSends("the corosync transport was disposed");
    }

    private bool TryConnect(string group, out string error)
    {
        var data = new CpgModelV1Data
        {
            Model = CpgModelV1,
            Deliver = &OnDeliver,
            ConfChg = &OnConfChg,
            TotemConfChg = &OnTotemConfChg,
            Flags = 0,
        };
        ulong cpg;
        var rc = CpgModelInitialize(&cpg, CpgModelV1, &data, null);
        if (rc != CorosyncErrors.Ok)
        {
            error = CorosyncErrors.Describe("cpg_model_initialize", rc);
            return false;
        }
        _cpg = cpg;
        ByCpgHandle[cpg] = this;
        _connected = true;
        uint local, atomic;
        int fd;
        if ((rc = CpgLocalGet(cpg, &local)) != CorosyncErrors.Ok || (rc = CpgFdGet(cpg, &fd)) != CorosyncErrors.Ok)
        {
            error = CorosyncErrors.Describe("cpg_local_get/cpg_fd_get", rc);
            Disconnect();
            return false;
        }
        if (local != _self.Id.Value)
        {
            error = $"corosync says this host is node id {local}, but haven.cluster.nodes gives node \"{_self.Name}\" id {_self.Id}; make the ids match corosync.conf's nodelist";
            Disconnect();
            return false;
        }
        if (_options.ExpectedClusterName is { } expected)
        {
            var actual = ReadCmapString("totem.cluster_name", out var cmapError);
            if (actual != expected)
            {
                error = actual is null
                    ? $"cannot read corosync's totem.cluster_name to check it is \"{expected}\": {cmapError}"
                    : $"corosync runs cluster \"{actual}\" (totem.cluster_name), but haven.cluster.name is \"{expected}\"; make them the same";
                Disconnect();
                return false;
            }
        }
        if (_options.ExpectedNodes is { } nodes && NodeListProblem(nodes) is { } problem)
        {
            error = problem;
            Disconnect();
            return false;
        }
        _corosyncNodeId = local;
        _cpgFd = fd;
        MaxAtomicMessageBytes = CpgMaxAtomicMsgSizeGet(cpg, &atomic) == CorosyncErrors.Ok ? (int)atomic : 0;
        ConnectQuorum();

        var name = GroupName(group);
        for (var attempt = 0; ; attempt++)
        {
            rc = CpgJoin(cpg, &name);
            if (rc == CorosyncErrors.Ok) break;
            if (rc != CorosyncErrors.TryAgain || attempt >= 50 || _stopping)
            {
                error = CorosyncErrors.Describe($"cpg_join of group \"{group}\"", rc);
                Disconnect();
                return false;
            }
            _wake.Wait(100);
        }
        _log.LogInformation("Connected to corosync as node {NodeId} ({Node}); joined group {Group}; atomic message size {Atomic} bytes",
            local, _self.Name, group, MaxAtomicMessageBytes);
        _joinAccepted.TrySetResult();
        error = "";
        return true;
    }

    /// <summary>Why corosync's nodelist is not <paramref name="expected"/> (the daemon's node list), or null when it is.</summary>
    private static string? NodeListProblem(System.Collections.Immutable.ImmutableArray<Haven.Actors.Configuration.NodeSettings> expected)
    {
        if (CorosyncNodeList.Read(out var error) is not { } actual)
            return $"cannot read corosync's nodelist to check the node list against it: {error}";
        var differences = Haven.Actors.Configuration.ClusterConfig.NodeListDifferences(expected, actual);
        return differences.Count == 0 ? null
            : $"haven.cluster.nodes does not match corosync's nodelist: {string.Join("; ", differences)}; make them agree (or remove haven.cluster.nodes) and restart the daemon";
    }

    private void ConnectQuorum()
    {
        var callbacks = new VoteQuorumCallbacks { Quorum = &OnQuorum, ExpectedVotes = null, NodeList = null };
        ulong vq;
        var rc = VoteQuorumInitialize(&vq, &callbacks);
        int fd;
        if (rc == CorosyncErrors.Ok && (rc = VoteQuorumFdGet(vq, &fd)) == CorosyncErrors.Ok
            && (rc = VoteQuorumTrackStart(vq, 0, 1 | TrackChanges)) == CorosyncErrors.Ok)
        {
            _quorum = vq;
            _quorumFd = fd;
            ByQuorumHandle[vq] = this;
            return;
        }
        if (rc == CorosyncErrors.Ok || vq != 0) _ = VoteQuorumFinalize(vq);
        _log.LogWarning("votequorum is not available ({Error}): quorum is not reported; is quorum.provider corosync_votequorum set?", CorosyncErrors.Name(rc));
    }

    private void Pump()
    {
        var fds = stackalloc PollFd[3];
        var count = 0;
        fds[count++] = new PollFd { Fd = _wake.ReadFd, Events = PollIn };
        var cpgAt = count;
        fds[count++] = new PollFd { Fd = _cpgFd, Events = PollIn };
        var quorumAt = -1;
        if (_quorumFd >= 0)
        {
            quorumAt = count;
            fds[count++] = new PollFd { Fd = _quorumFd, Events = PollIn };
        }
        // A send refused with TRY_AGAIN waits for the next dispatch cycle: incoming traffic or 10 ms.
        var timeout = _sendBlocked ? 10 : -1;
        if (Poll(fds, (nuint)count, timeout) < 0 && Marshal.GetLastPInvokeError() != 4 /* EINTR */)
            throw new IOException($"poll failed: errno {Marshal.GetLastPInvokeError()}");
        if (fds[0].Revents != 0) _wake.Drain();
        if (fds[cpgAt].Revents != 0)
        {
            var rc = CpgDispatch(_cpg, DispatchAll);
            if (rc != CorosyncErrors.Ok && rc != CorosyncErrors.TryAgain)
            {
                ConnectionLost(CorosyncErrors.Describe("cpg_dispatch", rc));
                return;
            }
        }
        if (quorumAt >= 0 && fds[quorumAt].Revents != 0)
        {
            var rc = VoteQuorumDispatch(_quorum, DispatchAll);
            if (rc != CorosyncErrors.Ok && rc != CorosyncErrors.TryAgain)
            {
                ConnectionLost(CorosyncErrors.Describe("votequorum_dispatch", rc));
                return;
            }
        }
        if (_leaveDone is not null)
        {
            LeaveAndFinalize();
            FinishLeave();
            return;
        }
        SendQueued();
    }

    private void SendQueued()
    {
        _sendBlocked = false;
        while (_sends.TryPeek(out var send))
        {
            int rc;
            fixed (byte* p = send.Payload)
            {
                var iov = new IoVec { Base = p, Length = (nuint)send.Payload.Length };
                rc = CpgMcastJoined(_cpg, CpgTypeAgreed, &iov, 1);
            }
            if (rc == CorosyncErrors.TryAgain)
            {
                _sendBlocked = true;
                return;
            }
            _sends.TryDequeue(out _);
            if (rc == CorosyncErrors.Ok)
            {
                send.Done.TrySetResult();
            }
            else if (rc == CorosyncErrors.TooBig)
            {
                send.Done.TrySetException(new CorosyncException($"corosync refused a message of {send.Payload.Length} bytes as too big (CS_ERR_TOO_BIG)", rc));
            }
            else
            {
                send.Done.TrySetException(new CorosyncException(CorosyncErrors.Describe("cpg_mcast_joined", rc), rc));
                ConnectionLost(CorosyncErrors.Describe("cpg_mcast_joined", rc));
                return;
            }
        }
    }

    private void ConnectionLost(string why)
    {
        _log.LogError("Lost the connection to corosync: {Error}; this node is alone until it reconnects", why);
        Disconnect();
        FailPendingSends("the connection to corosync was lost: " + why);
        if (!_lastView.IsDefaultOrEmpty && _lastView.Any(m => m.Id == _self.Id))
        {
            RaiseMembership(_members.Isolated(_self, _lastView));
            RaiseQuorum(new Haven.Actors.Membership.QuorumChanged(false, 1, _lastView.Length));
        }
    }

    private void Disconnect()
    {
        _ownJoinSeen = false;
        _sendBlocked = false;
        if (_quorum != 0)
        {
            ByQuorumHandle.TryRemove(_quorum, out _);
            _ = VoteQuorumFinalize(_quorum);
        }
        if (_cpg != 0)
        {
            ByCpgHandle.TryRemove(_cpg, out _);
            _ = CpgFinalize(_cpg);
        }
        _cpg = _quorum = 0;
        _cpgFd = _quorumFd = -1;
        _connected = false;
    }

    private void LeaveAndFinalize()
    {
        if (_cpg != 0 && _group is { } group)
        {
            var name = GroupName(group);
            var rc = CpgLeave(_cpg, &name);
            if (rc != CorosyncErrors.Ok)
                _log.LogWarning("cpg_leave of group {Group} failed ({Error}); peers will see this process as down", group, CorosyncErrors.Name(rc));
            else
                _log.LogInformation("Left corosync group {Group}", group);
        }
        Disconnect();
    }

    private void FinishLeave()
    {
        lock (_gate)
        {
            _group = null;
            _leaveDone?.TrySetResult();
            _leaveDone = null;
        }
        FailPendingSends("this node left the corosync group");
        _lastView = [];
    }

    private void FailPendingSends(string why)
    {
        while (_sends.TryDequeue(out var send))
            send.Done.TrySetException(new InvalidOperationException(why));
    }

    private static CpgName GroupName(string group)
    {
        var name = default(CpgName);
        var bytes = System.Text.Encoding.UTF8.GetBytes(group);
        for (var i = 0; i < bytes.Length; i++) name.Value[i] = bytes[i];
        name.Length = (uint)bytes.Length;
        return name;
    }
}
