using System.Diagnostics;
using Akka.Actor;
using Haven.Actors.Akka;
using Haven.Actors.Akka.Workload;

namespace Haven.Bench.Runtime;

/// <summary>
/// The Akka deterministic loop (src/Actors/Akka): ActorSystem boot cost on the loop, seeds per second of the
/// multi-host <see cref="LoopWorkload"/> on reused hosts against fresh hosts per seed, and raw messages per second.
/// </summary>
public sealed class AkkaLoopBench : IBench
{
    public string Name => "akka-loop";
    public string Description => "Akka deterministic loop: boot ms per host, seeds/s (5 hosts, reused vs fresh), msg/s";

    private const int Hosts = 5;
    private static readonly TimeSpan Virtual = TimeSpan.FromSeconds(1);

    public Task RunAsync(TextWriter output)
    {
        Boot(output);
        Seeds(output);
        Messages(output);
        return Task.CompletedTask;
    }

    private static SimHosts NewHosts(int count, int seed = 0) =>
        new($"bench-{Guid.NewGuid():N}", seed, Enumerable.Range(0, count).Select(h => $"host{h}").ToList());

    private static void Boot(TextWriter output)
    {
        using (NewHosts(Hosts)) { } // warm-up: JIT, type loading
        var perHost = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            using var hosts = NewHosts(Hosts);
            perHost.Add(hosts.BootTime.TotalMilliseconds / Hosts);
        }
        perHost.Sort();
        output.WriteLine($"boot: {perHost[perHost.Count / 2]:N1} ms per host (median of 5 boots of {Hosts} hosts, min {perHost[0]:N1}, max {perHost[^1]:N1})");
    }

    private static void Seeds(TextWriter output)
    {
        using (var warm = NewHosts(Hosts)) LoopWorkload.Run(warm, 0, Virtual);

        var fresh = Stopwatch.StartNew();
        const int freshSeeds = 10;
        for (var seed = 1; seed <= freshSeeds; seed++)
        {
            using var hosts = NewHosts(Hosts, seed);
            LoopWorkload.Run(hosts, seed, Virtual);
        }
        fresh.Stop();

        using var reused = NewHosts(Hosts);
        var run = Stopwatch.StartNew();
        var seeds = 0;
        long steps = 0, lines = 0;
        while (run.Elapsed < TimeSpan.FromSeconds(20) || seeds < 20)
        {
            LoopWorkload.Run(reused, 1000 + seeds, Virtual);
            steps += reused.Loop.Steps;
            lines += reused.Loop.Trace.Count;
            seeds++;
        }
        run.Stop();
        var reusedRate = seeds / run.Elapsed.TotalSeconds;
        var freshRate = freshSeeds / fresh.Elapsed.TotalSeconds;
        output.WriteLine($"seeds ({Hosts} hosts, {Virtual.TotalSeconds:N0} s virtual, host crash + recovery each): " +
                         $"reused hosts {reusedRate:N1} seeds/s ({run.Elapsed.TotalMilliseconds / seeds:N1} ms/seed, {seeds} seeds, " +
                         $"{steps / seeds:N0} steps and {lines / seeds:N0} trace lines a seed); " +
                         $"fresh hosts per seed {freshRate:N1} seeds/s ({fresh.Elapsed.TotalMilliseconds / freshSeeds:N1} ms/seed)");
    }

    private static void Messages(TextWriter output)
    {
        using var hosts = NewHosts(2);
        hosts.Loop.TracePicks = false;
        const int roundTrips = 500_000;
        var done = new bool[1];
        var ponger = hosts.Systems[1].ActorOf(Props.Create(() => new Pong()), "ponger");
        var pinger = hosts.Systems[0].ActorOf(Props.Create(() => new Ping(ponger, roundTrips, done)), "pinger");
        hosts.Loop.RunUntilIdle();
        var sw = Stopwatch.StartNew();
        pinger.Tell("start");
        var steps = hosts.Loop.RunUntilIdle();
        sw.Stop();
        if (!done[0]) throw new InvalidOperationException("ping-pong did not finish");
        var messages = 2.0 * roundTrips;
        output.WriteLine($"messages: {messages / sw.Elapsed.TotalSeconds:N0} msg/s on the loop ({messages:N0} messages across two hosts, " +
                         $"{steps:N0} steps, picks not traced)");
    }

    private sealed class Pong : ReceiveActor
    {
        public Pong() => Receive<int>(n => Sender.Tell(n));
    }

    private sealed class Ping : ReceiveActor
    {
        public Ping(IActorRef ponger, int total, bool[] done)
        {
            Receive<string>(_ =>
            {
                for (var i = 0; i < 100; i++) ponger.Tell(i);
            });
            var received = 0;
            Receive<int>(n =>
            {
                if (++received == total) done[0] = true;
                else if (received <= total - 100) ponger.Tell(n);
            });
        }
    }
}
