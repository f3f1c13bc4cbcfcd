using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Dispatch;
using HavenMailbox = Haven.Actors.Runtime.Mailbox;
using HavenPath = Haven.Actors.Runtime.ActorPath;
using HavenRef = Haven.Actors.Runtime.IActorRef;

namespace Haven.Actors.Akka;

/// <summary>
/// Haven's own runtime on a <see cref="SimLoop"/>: every mailbox of a Haven ActorSystem built with this dispatcher
/// (and with the loop's <see cref="VirtualClock.TimeProvider"/> as its TimeProvider) runs as one loop item of one
/// message, keyed by its actor path. Haven actors and Akka actors then interleave on the one seeded loop and share
/// its one timeline, which is what porting one actor at a time needs (docs/akka.md, "Two runtimes on one loop").
/// </summary>
public sealed class LoopDispatcher : Runtime.MessageDispatcher
{
    private readonly ConditionalWeakTable<HavenMailbox, string> _keys = new();

    public LoopDispatcher(SimLoop loop) => Loop = loop ?? throw new ArgumentNullException(nameof(loop));

    public SimLoop Loop { get; }

    /// <summary>One message a turn, the grain of the simulation's own dispatcher and of <see cref="OneMessageMailbox"/>.</summary>
    public override int Throughput => 1;

    internal override void Schedule(HavenMailbox mailbox) =>
        Loop.Enqueue(new HavenTurn(mailbox, _keys.GetValue(mailbox, static m => "haven:" + StableKey.Normalise(m.Path.ToString()))));

    /// <summary>The turn of one Haven mailbox: at most one message, system messages first (Haven's Mailbox.Run).</summary>
    internal sealed class HavenTurn(HavenMailbox mailbox, string key) : IRunnable
    {
        public string Key { get; } = key;

        public void Run() => mailbox.Run(1);

        public void Execute() => Run();
    }
}

/// <summary>
/// Refs across the two runtimes, for the port (docs/akka.md): a Haven actor can Tell an Akka actor and be answered
/// through Sender, and the other way round. A ref bridged back is the original ref again. Death watch does not
/// cross the bridge: a Haven actor cannot Watch an Akka ref, and an Akka actor watching a bridged Haven ref is
/// never told it stopped.
/// </summary>
public static class RuntimeBridge
{
    /// <summary>A Haven ref that delivers to the Akka actor <paramref name="target"/>.</summary>
    public static HavenRef ToHaven(IActorRef target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target is HavenActorOnAkka back ? back.Target : new AkkaActorOnHaven(target);
    }

    /// <summary>
    /// An Akka ref that delivers to the Haven actor <paramref name="target"/>; <paramref name="system"/> is the
    /// Akka system it is handed to (its provider and root path).
    /// </summary>
    public static IActorRef ToAkka(HavenRef target, ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(system);
        return ToAkka(target, ((ExtendedActorSystem)system).Provider);
    }

    internal static IActorRef ToAkka(HavenRef target, IActorRefProvider provider) =>
        target is AkkaActorOnHaven back ? back.Target : new HavenActorOnAkka(target, provider);

    private static bool IsNoSender(IActorRef? sender) => sender is null || sender.IsNobody() || sender is DeadLetterActorRef;

    /// <summary>An Akka actor as a Haven ref: its Haven path is <c>haven://akka.{system}/{elements}</c>.</summary>
    internal sealed class AkkaActorOnHaven : HavenRef
    {
        public AkkaActorOnHaven(IActorRef target)
        {
            Target = target;
            var path = HavenPath.Root("akka." + target.Path.Address.System);
            foreach (var element in target.Path.Elements) path = path.Child(element);
            Path = path;
        }

        public IActorRef Target { get; }

        public HavenPath Path { get; }

        public void Tell(object message, HavenRef? sender)
        {
            ArgumentNullException.ThrowIfNull(message);
            // A sender is bridged with the target's own provider, so a reply goes through the target's system.
            var provider = (Target as IInternalActorRef)?.Provider;
            Target.Tell(message, sender is null || provider is null ? ActorRefs.NoSender : ToAkka(sender, provider));
        }

        public override bool Equals(object? obj) => obj is AkkaActorOnHaven other && other.Target.Equals(Target);
        public override int GetHashCode() => Target.GetHashCode();
        public override string ToString() => $"[{Path} -> {Target.Path}]";
    }

    /// <summary>A Haven actor as an Akka ref: its Akka path is <c>/haven/{system}/{elements}</c> under the Akka system's root.</summary>
    internal sealed class HavenActorOnAkka : MinimalActorRef
    {
        public HavenActorOnAkka(HavenRef target, IActorRefProvider provider)
        {
            Target = target;
            Provider = provider;
            var path = provider.RootPath / "haven" / target.Path.SystemName;
            foreach (var element in target.Path.Elements) path /= element;
            Path = path;
        }

        public HavenRef Target { get; }

        public override ActorPath Path { get; }

        public override IActorRefProvider Provider { get; }

        protected override void TellInternal(object message, IActorRef sender) =>
            Target.Tell(message, IsNoSender(sender) ? null : ToHaven(sender));

        public override bool Equals(object? obj) => obj is HavenActorOnAkka other && other.Target.Equals(Target);
        public override int GetHashCode() => Target.GetHashCode();
    }
}
