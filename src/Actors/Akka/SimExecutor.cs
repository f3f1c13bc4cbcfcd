using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Dispatch;

namespace Haven.Actors.Akka;

/// <summary>
/// Selected by <c>executor = "Haven.Actors.Akka.SimExecutorConfigurator, Haven.Actors"</c>; every dispatcher id
/// of a simulated host points at it, and it hands every mailbox to the loop <c>haven.sim.loop</c> names.
/// </summary>
public sealed class SimExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    private readonly SimLoop _loop = SimLoop.Named(prerequisites.Settings.Config.GetString(AkkaConfig.LoopKey)
                                                   ?? throw new InvalidOperationException($"{AkkaConfig.LoopKey} is not set"));

    public override ExecutorService Produce(string id) => new SimExecutor(id, _loop);
}

internal sealed class SimExecutor(string id, SimLoop loop) : ExecutorService(id)
{
    public override void Execute(IRunnable run) => loop.Enqueue(run);

    public override void Shutdown() { }
}

/// <summary>
/// The loop's order key of a runnable: the actor path (without UID) of a mailbox, with the few names Akka takes
/// from process-wide counters normalised; null for anything else (ordered by arrival).
/// </summary>
internal static partial class StableKey
{
    private static readonly ConditionalWeakTable<Mailbox, string> Cache = new();

    public static string? Of(IRunnable runnable)
    {
        if (runnable is LoopDispatcher.HavenTurn haven) return haven.Key;
        if (runnable is not Mailbox mailbox) return null;
        if (mailbox.MessageQueue is OneMessageQueue queue) return queue.Key;
        if (Cache.TryGetValue(mailbox, out var key)) return key;
        // A mailbox of another type (none in the generated config): its actor via Akka's internal property.
        var cell = typeof(Mailbox).GetProperty("Actor", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
            ?.GetValue(mailbox) as global::Akka.Actor.ActorCell;
        if (cell is null) return null;
        key = Normalise(cell.Self.Path.ToString());
        Cache.AddOrUpdate(mailbox, key);
        return key;
    }

    /// <summary>
    /// Akka names its logger, the EventStream's unsubscribers and TestKit's test actors from process-wide counters,
    /// and anonymous actors ("$a", the journal's replay workers) from a counter of their parent that a reused host
    /// carries from seed to seed: those parts become '#' and '$'. Anonymous siblings are then ordered by arrival —
    /// name actors that can be pending together.
    /// </summary>
    public static string Normalise(string path) => Anonymous().Replace(ProcessCounters().Replace(path, "$1#"), "/$$");

    [GeneratedRegex(@"(/log|EventStreamUnsubscriber-|testActor)[0-9]+")]
    private static partial Regex ProcessCounters();

    [GeneratedRegex(@"/\$[^/]+")]
    private static partial Regex Anonymous();
}
