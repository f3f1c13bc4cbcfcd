using System.Diagnostics;
using Haven.Actors.Runtime;

namespace Haven.Bench.Runtime;

/// <summary>
/// Messages per second between two actors on the thread-pool dispatcher: a pinger keeps a window of
/// messages in flight to an echoing ponger; every message each way counts.
/// </summary>
public sealed class ActorThroughputBench : IBench
{
    public string Name => "actor-throughput";
    public string Description => "messages/s between two actors on the thread-pool dispatcher (goal >= 2,000,000)";

    private const int Window = 1_000;

    public async Task RunAsync(TextWriter output)
    {
        await MeasureAsync(2_000_000, output, warmup: true);
        var best = 0.0;
        for (var round = 1; round <= 3; round++)
            best = Math.Max(best, await MeasureAsync(10_000_000, output, warmup: false));
        output.WriteLine($"best: {best:N0} msg/s (goal >= 2,000,000) {(best >= 2_000_000 ? "MET" : "NOT MET")}");
    }

    private static async Task<double> MeasureAsync(int roundTrips, TextWriter output, bool warmup)
    {
        var system = ActorSystem.Create("bench");
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ponger = system.ActorOf(Props.Create<PongActor>(), "ponger");
        var pinger = system.ActorOf(Props.Create(() => new PingActor(ponger, roundTrips, done)), "pinger");
        var gcBefore = GC.CollectionCount(0);
        var sw = Stopwatch.StartNew();
        pinger.Tell(Start.Instance, null);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        sw.Stop();
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        var messages = 2.0 * roundTrips;
        var rate = messages / sw.Elapsed.TotalSeconds;
        if (!warmup)
            output.WriteLine($"{messages:N0} messages in {sw.Elapsed.TotalMilliseconds:N0} ms: {rate:N0} msg/s, gen0 GCs {GC.CollectionCount(0) - gcBefore}");
        return rate;
    }

    private sealed class Start
    {
        public static readonly Start Instance = new();
    }

    private sealed class Msg
    {
        public static readonly Msg Instance = new();
    }

    private sealed class PongActor : Actor
    {
        public PongActor() => Receive<Msg>(m => Sender.Tell(m, Self));
    }

    private sealed class PingActor : Actor
    {
        public PingActor(IActorRef ponger, int total, TaskCompletionSource done)
        {
            var sent = 0;
            var received = 0;
            Receive<Start>(_ =>
            {
                for (; sent < Math.Min(Window, total); sent++) ponger.Tell(Msg.Instance, Self);
            });
            Receive<Msg>(m =>
            {
                received++;
                if (sent < total)
                {
                    sent++;
                    ponger.Tell(m, Self);
                }
                else if (received == total) done.TrySetResult();
            });
        }
    }
}
