using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Haven.Actors.Membership;
using Haven.Adapters.Corosync;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Corosync;

public class CorosyncTransportTests
{
    private static readonly Member N1 = new(new NodeId(1), "n1");
    private static readonly Member N2 = new(new NodeId(2), "n2");
    private static readonly Member N3 = new(new NodeId(3), "n3");

    [Fact]
    public void NativeStructs_Sizes_MatchCorosyncHeaders()
    {
        Assert.Equal(132, Unsafe.SizeOf<CorosyncNative.CpgName>());
        Assert.Equal(12, Unsafe.SizeOf<CorosyncNative.CpgAddress>());
        Assert.Equal(16, Unsafe.SizeOf<CorosyncNative.CpgRingId>());
        Assert.Equal(40, Unsafe.SizeOf<CorosyncNative.CpgModelV1Data>());
        Assert.Equal(292, Unsafe.SizeOf<CorosyncNative.VoteQuorumInfo>());
        Assert.Equal(24, Unsafe.SizeOf<CorosyncNative.VoteQuorumCallbacks>());
        Assert.Equal(8, Unsafe.SizeOf<CorosyncNative.PollFd>());
    }

    [Fact]
    public void Translate_MergeWithUnknownNode_NamesFromNodeListAndPlaceholder()
    {
        var members = new CorosyncMembers([N1, N2, N3]);
        var unknown = new HashSet<uint>();

        var change = members.Translate(
            [new CpgEntry(3, 30, 1), new CpgEntry(1, 10, 1), new CpgEntry(7, 70, 1)],
            [],
            [new CpgEntry(1, 10, 4), new CpgEntry(7, 70, 4)],
            unknown);

        Assert.Equal([N1, N3, new Member(new NodeId(7), "unknown-7")], change.Members.ToArray());
        Assert.Equal([(N1, MembershipChangeReason.NodeUp), (new Member(new NodeId(7), "unknown-7"), MembershipChangeReason.NodeUp)], change.Joined.ToArray());
        Assert.Equal([7u], unknown);
    }

    [Fact]
    public void Translate_LeftProcessWhoseNodeStillHasOne_IsNotReportedAsLeft()
    {
        var members = new CorosyncMembers([N1, N2]);

        var change = members.Translate([new CpgEntry(1, 10, 1), new CpgEntry(2, 21, 1)], [new CpgEntry(2, 20, 5), new CpgEntry(1, 11, 2)], [], new HashSet<uint>());

        Assert.Empty(change.Left);
        Assert.Equal([N1, N2], change.Members.ToArray());
    }

    [Theory]
    [InlineData(1u, MembershipChangeReason.Join)]
    [InlineData(2u, MembershipChangeReason.Leave)]
    [InlineData(3u, MembershipChangeReason.NodeDown)]
    [InlineData(4u, MembershipChangeReason.NodeUp)]
    [InlineData(5u, MembershipChangeReason.ProcDown)]
    [InlineData(0u, MembershipChangeReason.NodeDown)]
    public void Reason_CpgReason_MapsToMembershipReason(uint cpg, MembershipChangeReason expected) =>
        Assert.Equal(expected, CorosyncMembers.Reason(cpg));

    [Fact]
    public void Isolated_AfterConnectionLoss_OnlySelfAndOthersDown()
    {
        var change = new CorosyncMembers([N1, N2, N3]).Isolated(N2, [N1, N2, N3]);

        Assert.Equal([N2], change.Members.ToArray());
        Assert.Equal([(N1, MembershipChangeReason.NodeDown), (N3, MembershipChangeReason.NodeDown)], change.Left.ToArray());
    }

    [Fact]
    public async Task Join_NoCorosyncReachable_LogsClearErrorAndKeepsRetrying()
    {
        // The test process runs in the root network namespace, where no corosync runs (the e2e
        // clusters live in their own namespaces; corosync's IPC sockets are per namespace).
        var log = new RecordingLogger();
        using var transport = new CorosyncTransport(N1, [N1], log,
            new CorosyncTransportOptions { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(40) });

        var join = transport.JoinAsync("haven-unit");
        await log.Errors(2).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(join.IsCompleted);
        Assert.Contains("cannot reach corosync (CS_ERR_LIBRARY): is corosync running?", log.First);
        Assert.False(transport.IsMember);
        Assert.Throws<InvalidOperationException>(() => { _ = transport.MulticastAsync(new byte[] { 1 }); });
    }

    [Fact]
    public void Join_GroupNameTooLong_IsRefusedWithTheLimit()
    {
        using var transport = new CorosyncTransport(N1, [N1], new RecordingLogger());

        var e = Assert.Throws<ArgumentException>(() => { _ = transport.JoinAsync(new string('x', 128)); });

        Assert.Contains("shorter than 128", e.Message);
    }

    private sealed class RecordingLogger : ILogger<CorosyncTransport>
    {
        private readonly List<string> _errors = [];
        private readonly List<(int Count, TaskCompletionSource Done)> _waits = [];

        public string First
        {
            get
            {
                lock (_errors) return _errors[0];
            }
        }

        public Task Errors(int count)
        {
            lock (_errors)
            {
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_errors.Count >= count) tcs.SetResult();
                else _waits.Add((count, tcs));
                return tcs.Task;
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Error) return;
            lock (_errors)
            {
                _errors.Add(formatter(state, exception));
                foreach (var w in _waits.Where(w => _errors.Count >= w.Count).ToList())
                {
                    w.Done.SetResult();
                    _waits.Remove(w);
                }
            }
        }
    }
}
