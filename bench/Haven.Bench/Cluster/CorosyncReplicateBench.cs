using System.Diagnostics;
using System.Threading.Channels;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Adapters.Corosync;
using Microsoft.Extensions.Logging.Abstractions;
using static Haven.Bench.Persistence.JournalBenchSupport;

namespace Haven.Bench.Cluster;

/// <summary>
/// Replicated and journaled events per second over real corosync. Run one instance per host of a
/// namespace cluster at the same time (see docs/real-cluster.md), e.g. for hosts 1..3:
/// <c>HAVEN_BENCH_NODE=I HAVEN_BENCH_NODES=3 tests/e2e/cluster.sh exec I dotnet bench/Haven.Bench/bin/Release/net10.0/Haven.Bench.dll corosync-replicate</c>.
/// Every instance waits for all of them, multicasts its share (agreed order), and journals every
/// delivered event into its own SQLite journal (a batch per drained delivery queue, durable commit).
/// </summary>
public sealed class CorosyncReplicateBench : IBench
{
    private const int PerNode = 60_000;

    public string Name => "corosync-replicate";
    public string Description => "events multicast over corosync CPG and journaled (SQLite) on every host; run on each host of a namespace cluster (goal >= 20,000 events/s)";

    public async Task RunAsync(TextWriter output)
    {
        var self = uint.Parse(Environment.GetEnvironmentVariable("HAVEN_BENCH_NODE") ?? throw new InvalidOperationException("set HAVEN_BENCH_NODE to this host's corosync nodeid"), System.Globalization.CultureInfo.InvariantCulture);
        var count = int.Parse(Environment.GetEnvironmentVariable("HAVEN_BENCH_NODES") ?? "3", System.Globalization.CultureInfo.InvariantCulture);
        var nodes = Enumerable.Range(1, count).Select(i => new Member(new NodeId((uint)i), $"n{i}")).ToArray();
        var me = nodes.Single(n => n.Id.Value == self);
        var serializer = CreateSerializer();
        using var file = new TempJournalFile();
        await using var journal = await file.MigrateAndOpenAsync();
        using var transport = new CorosyncTransport(me, [.. nodes], NullLogger<CorosyncTransport>.Instance);
        var delivered = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        transport.MembershipChanged += m => { if (m.Members.Length == count) all.TrySetResult(); };
        transport.Delivered += (_, payload) => delivered.Writer.TryWrite(payload);
        await transport.JoinAsync("haven-bench");
        await all.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // HAVEN_BENCH_BATCH events per multicast (default 1), as the ClusterActor's ReplicateBatch sends a DC round.
        var perMessage = int.Parse(Environment.GetEnvironmentVariable("HAVEN_BENCH_BATCH") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        if (perMessage < 1 || PerNode % perMessage != 0) throw new InvalidOperationException($"HAVEN_BENCH_BATCH must divide {PerNode}");
        var total = PerNode * count;
        var sw = Stopwatch.StartNew();
        var sender = Task.Run(async () =>
        {
            var one = serializer.Serialize(Event(self)).Payload;
            var payload = string.Join('\n', Enumerable.Repeat(System.Text.Encoding.UTF8.GetString(one), perMessage)).Select(c => (byte)c).ToArray();
            var pending = new List<Task>(1024);
            for (var i = 0; i < PerNode / perMessage; i++)
            {
                pending.Add(transport.MulticastAsync(payload));
                if (pending.Count == 1024)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }
            await Task.WhenAll(pending);
        });
        var written = 0L;
        var batch = new List<JournalEntry>(4096);
        while (written < total)
        {
            await delivered.Reader.WaitToReadAsync();
            while (batch.Count < 4096 && delivered.Reader.TryRead(out var bytes))
            {
                // one multicast carries perMessage events (JSON, separated by newlines): each is journaled
                var start = 0;
                for (var i = 0; i <= bytes.Length; i++)
                {
                    if (i < bytes.Length && bytes[i] != (byte)'\n') continue;
                    batch.Add(new JournalEntry("replicated", written + batch.Count + 1, "bench.vm-migrated.v1", bytes[start..i], DateTimeOffset.UnixEpoch, []));
                    start = i + 1;
                }
            }
            await journal.WriteAsync(batch);
            written += batch.Count;
            batch.Clear();
        }
        sw.Stop();
        await sender;
        var perSecond = total / sw.Elapsed.TotalSeconds;
        output.WriteLine($"node {self} of {count}, {perMessage} event(s) per multicast: {total:N0} events delivered and journaled in {sw.Elapsed.TotalSeconds:F2} s = {perSecond:N0} events/s {(perSecond >= 20_000 ? "(goal met)" : "(below goal)")}");
        await transport.LeaveAsync();
    }
}
