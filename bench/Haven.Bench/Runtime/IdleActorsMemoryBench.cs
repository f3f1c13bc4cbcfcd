using Haven.Actors.Runtime;

namespace Haven.Bench.Runtime;

/// <summary>Managed memory held by 10,000 started, idle actors (GC.GetTotalMemory(true) delta).</summary>
public sealed class IdleActorsMemoryBench : IBench
{
    public string Name => "idle-actors-memory";
    public string Description => "memory of 10,000 idle actors (goal < 50 MB)";

    private const int Count = 10_000;

    public async Task RunAsync(TextWriter output)
    {
        var system = ActorSystem.Create("memory");
        await WarmUp(system);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var refs = new IActorRef[Count];
        for (var i = 0; i < Count; i++) refs[i] = system.ActorOf(Props.Create<IdleActor>(), $"idle-{i}");
        // Make sure every actor has been created and started (its Create message processed).
        var replies = await Task.WhenAll(refs.Select(r => r.Ask<int>(1, TimeSpan.FromSeconds(30))));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var bytes = after - before;
        output.WriteLine($"{Count:N0} actors answered {replies.Length:N0} asks; managed memory delta {bytes / 1024.0 / 1024.0:N1} MB, " +
                         $"{bytes / Count:N0} bytes per actor (goal < 50 MB) {(bytes < 50L * 1024 * 1024 ? "MET" : "NOT MET")}");
        GC.KeepAlive(refs);
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task WarmUp(ActorSystem system)
    {
        var warm = system.ActorOf(Props.Create<IdleActor>(), "warm");
        await warm.Ask<int>(1, TimeSpan.FromSeconds(10));
        system.Stop(warm);
    }

    private sealed class IdleActor : Actor
    {
        public IdleActor() => Receive<int>(n => Sender.Tell(n, Self));
    }
}
