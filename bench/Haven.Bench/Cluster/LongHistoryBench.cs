using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Actors.SplitBrain;
using Haven.Adapters.Persistence;
using Haven.Adapters.Persistence.Sqlite;

namespace Haven.Bench.Cluster;

/// <summary>
/// Bounded history: 1,000,000 replicated events through a host's ClusterActor on a real SQLite journal (batches
/// of 1,000, as DC rounds multicast them), with the default snapshot-every and keep-events. At 100k and 1M
/// events it prints the process's RSS, how long the host takes to recover (restart on the same file until its
/// recovered view), and how long a second host with an empty journal — all those events behind — takes to rejoin
/// (start until its stream index and digest equal the first host's). Goals: RSS within 20 % between 100k and
/// 1M, recovery &lt; 1 s, rejoin &lt; 1 s. Both hosts run on one deterministic dispatcher over the simulated
/// network; SQLite calls complete in place.
/// </summary>
public sealed class LongHistoryBench : IBench
{
    private const int Batch = 1_000;
    private static readonly long[] Checkpoints = [100_000, 1_000_000];
    private static readonly NodeId N1 = new(1), N2 = new(2);

    public string Name => "long-history";
    public string Description => "1,000,000 replicated events through a host on SQLite: RSS flat (±20 % 100k→1M), recovery < 1 s, rejoin of a member 1M behind < 1 s";

    public async Task RunAsync(TextWriter output)
    {
        var dir = Directory.CreateTempSubdirectory("haven-long-history-");
        try
        {
            await RunInAsync(dir.FullName, output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task RunInAsync(string dir, TextWriter output)
    {
        var run = new Run();
        await using var first = await Host.OpenAsync(run, new Member(N1, "n1"), Path.Combine(dir, "n1.db"));
        run.Network.Crash(N2); // the second host is off until it rejoins
        first.Start();
        run.Until(() => first.View is { Role: PartitionRole.Primary });
        var serializer = new JsonEventSerializer(HavenManifests.CreateRegistry());
        var transport = run.Network.Transport(N1);
        long sequence = 1_000_000_000, sent = 0;
        var write = Stopwatch.StartNew();
        double? rss100k = null;
        foreach (var target in Checkpoints)
        {
            while (sent < target)
            {
                var records = Enumerable.Range(0, Batch).Select(i =>
                {
                    var (manifest, payload) = serializer.Serialize(new HeuristicsChanged(N1, (sent + i) % 2 == 0));
                    return new WireRecord(manifest, Encoding.UTF8.GetString(payload));
                }).ToImmutableArray();
                var (type, body) = serializer.Serialize(new ReplicateBatch(records));
                await transport.MulticastAsync(new WireEnvelope(WireEnvelope.CurrentVersion, N1, ++sequence, type, body).Encode());
                sent += Batch;
                run.Settle();
            }
            write.Stop();
            var rate = sent / write.Elapsed.TotalSeconds;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            var rss = process.WorkingSet64 / (1024.0 * 1024);
            rss100k ??= rss;

            // Recovery: the host restarts on the same file; timed until its recovered view.
            var index = first.View!.StreamIndex;
            var digest = first.View.StreamDigest;
            first.PowerOff();
            var clock = Stopwatch.StartNew();
            first.PowerOn();
            run.Until(() => first.View is { } v && v.StreamIndex == index && v.StreamDigest == digest);
            var recoverMs = clock.Elapsed.TotalMilliseconds;
            run.Until(() => first.View is { Role: PartitionRole.Primary });

            // Rejoin: a host with an empty journal, every event behind; timed until its stream equals the first's.
            var path = Path.Combine(dir, $"n2-{target}.db");
            await using (var second = await Host.OpenAsync(run, new Member(N2, "n2"), path))
            {
                run.Network.Restart(N2);
                clock.Restart();
                second.Start();
                run.Until(() => second.View is { } v && v.StreamIndex == first.View!.StreamIndex && v.StreamDigest == first.View.StreamDigest);
                var rejoinMs = clock.Elapsed.TotalMilliseconds;
                run.Until(() => second.View is { Role: PartitionRole.Primary } && first.View is { Role: PartitionRole.Primary });
                var primaryMs = clock.Elapsed.TotalMilliseconds;
                output.WriteLine($"events={target} rss-mb={rss:F1} recover-ms={recoverMs:F0} rejoin-ms={rejoinMs:F0}  " +
                    $"(stream index {first.View!.StreamIndex}, held in memory after the snapshot: ≤ {SnapshotPolicy.Default.Every}; " +
                    $"journal rows {await first.CountAsync()}; both primary after {primaryMs:F0} ms incl. stable-after in virtual time; {rate:N0} events/s written)");
                second.PowerOff();
            }
            run.Until(() => first.View is { Role: PartitionRole.Primary } && first.View.Members.Length == 1);
            write.Start();
        }
        output.WriteLine(rss100k is { } low
            ? $"goals: RSS flat within 20 % (100k→1M), recovery < 1 s, rejoin < 1 s; RSS at 100k {low:F1} MB"
            : "no checkpoint reached");
    }

    /// <summary>The dispatcher, virtual clock and simulated network both hosts share.</summary>
    private sealed class Run
    {
        public DeterministicDispatcher Dispatcher { get; } = new();
        public VirtualClock Clock { get; }
        public SimulatedNetwork Network { get; } = new([new Member(N1, "n1"), new Member(N2, "n2")], new Random(7));

        public Run() => Clock = new VirtualClock(dispatcher: Dispatcher);

        public void Settle()
        {
            for (var i = 0; i < 10_000_000; i++)
            {
                var work = Dispatcher.RunUntilIdle() > 0;
                work |= Network.DeliverNext();
                if (!work) return;
            }
            throw new InvalidOperationException("the hosts did not settle");
        }

        /// <summary>Settles, advancing virtual time in 100 ms steps (timers: stable-after), until the condition holds (at most 5 virtual minutes).</summary>
        public void Until(Func<bool> condition)
        {
            for (var i = 0; i < 3_000; i++)
            {
                Settle();
                if (condition()) return;
                Clock.Advance(TimeSpan.FromMilliseconds(100));
            }
            throw new TimeoutException("the condition did not hold within 5 virtual minutes");
        }
    }

    private sealed class Host(Run run, Member member, SqliteJournal journal, SqliteSnapshotStore snapshots) : IAsyncDisposable
    {
        private ActorSystem? _system;
        private int _incarnation;

        public ClusterView? View { get; private set; }

        public static async Task<Host> OpenAsync(Run run, Member member, string path)
        {
            await SqliteSchema.MigrateAsync(path);
            return new Host(run, member, await SqliteJournal.OpenAsync(path), await SqliteSnapshotStore.OpenAsync(path));
        }

        public void Start()
        {
            _system = ActorSystem.Create($"{member.Name}-{++_incarnation}", ActorSystemSettings.Deterministic(run.Dispatcher, run.Clock, 7 + _incarnation));
            var services = new PersistenceServices(new SynchronousJournal(journal), new SynchronousSnapshotStore(snapshots), new JsonEventSerializer(HavenManifests.CreateRegistry()));
            var nodes = run.Network.Nodes;
            var options = new ClusterOptions
            {
                ClusterName = "bench",
                Self = member,
                Nodes = nodes,
                SplitBrain = new SplitBrainSettings { Nodes = [.. nodes.Select(n => n.Id)], StableAfter = TimeSpan.FromSeconds(1) },
            };
            var deps = new ClusterDependencies(run.Network.Transport(member.Id), services, new OffAtOnce(), new NoAddresses(), Observer: v => View = v);
            _system.ActorOf(ClusterActor.Props(options, deps), "cluster");
        }

        public void PowerOff()
        {
            run.Network.Crash(member.Id);
            _system?.Terminate();
            _system = null;
            View = null;
            run.Settle();
        }

        public void PowerOn()
        {
            run.Network.Restart(member.Id);
            Start();
        }

        public Task<long> CountAsync() => journal.CountAsync();

        public async ValueTask DisposeAsync()
        {
            _system?.Terminate();
            await snapshots.DisposeAsync();
            await journal.DisposeAsync();
        }
    }

    /// <summary>The lost host is off as soon as it is fenced (it is: the bench powered it off).</summary>
    private sealed class OffAtOnce : IFencer
    {
        public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken) =>
            Task.FromResult(new FenceResult(true, "bench-pdu", "off"));
    }

    private sealed class NoAddresses : IAddressManager
    {
        public Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
