namespace Haven.Actors.Runtime;

/// <summary>
/// A handle to an actor. Equality is by <see cref="Path"/>, so a probe and the ref behind it compare equal.
/// </summary>
public interface IActorRef
{
    ActorPath Path { get; }

    /// <summary>Enqueues the message; never blocks, never throws for a stopped target (dead letter instead).</summary>
    void Tell(object message, IActorRef? sender);
}

/// <summary>Runtime-side view of a ref: system messages, liveness, owning system.</summary>
internal interface IInternalActorRef : IActorRef
{
    void SendSystemMessage(SystemMessage message);
    bool IsTerminated { get; }
    ActorSystem? System { get; }
}

public static class ActorRefs
{
    /// <summary>Use as sender when there is none; replies to it become dead letters.</summary>
    public static readonly IActorRef? NoSender = null;

    /// <summary>A ref that is no actor; what <c>Context.Child</c> returns for an unknown name. Drops messages.</summary>
    public static readonly IActorRef Nobody = new NobodyRef();
}

public static class ActorRefExtensions
{
    /// <summary>Tell with the current actor (inside a handler) as sender, or no sender outside actors.</summary>
    public static void Tell(this IActorRef target, object message) =>
        target.Tell(message, ActorCell.Current?.SelfRef);

    /// <summary>Sends the message on keeping the original sender of the message being handled.</summary>
    public static void Forward(this IActorRef target, object message)
    {
        var cell = ActorCell.Current ?? throw new InvalidOperationException(
            $"Forward of {message.GetType().Name} to {target.Path} must be called from inside an actor's message handler");
        target.Tell(message, cell.CurrentSender);
    }
}

/// <summary>The ref of a live (or dead) local actor; one instance per actor incarnation.</summary>
internal sealed class LocalActorRef(ActorCell cell) : IInternalActorRef
{
    internal ActorCell Cell { get; } = cell;
    public ActorPath Path => Cell.Path;
    public bool IsTerminated => Cell.IsTerminated;
    public ActorSystem System => Cell.System;
    ActorSystem? IInternalActorRef.System => Cell.System;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!Cell.Mailbox.PostUser(new Envelope(message, sender)))
            Cell.System.PublishDeadLetter(message, sender, this);
    }

    public void SendSystemMessage(SystemMessage message) => Cell.Mailbox.PostSystem(message);

    public override bool Equals(object? obj) => obj is IActorRef r && r.Path == Path;
    public override int GetHashCode() => Path.GetHashCode();
    public override string ToString() => $"[{Path}]";
}

/// <summary>Publishes everything sent to it as <see cref="DeadLetter"/>; also stands for unknown paths.</summary>
internal sealed class DeadLettersRef(ActorSystem system, ActorPath path) : IInternalActorRef
{
    public ActorPath Path { get; } = path;
    public bool IsTerminated => true;
    public ActorSystem? System => system;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        system.PublishDeadLetter(message, sender, this);
    }

    public void SendSystemMessage(SystemMessage message) => system.DeadSystemMessage(this, message);
    public override bool Equals(object? obj) => obj is IActorRef r && r.Path == Path;
    public override int GetHashCode() => Path.GetHashCode();
    public override string ToString() => $"[{Path}]";
}

internal sealed class NobodyRef : IInternalActorRef
{
    public ActorPath Path { get; } = ActorPath.Root("nobody");
    public bool IsTerminated => true;
    public ActorSystem? System => null;
    public void Tell(object message, IActorRef? sender) { }

    public void SendSystemMessage(SystemMessage message)
    {
        if (message is WatchMsg w && w.Watcher is IInternalActorRef watcher)
            watcher.SendSystemMessage(new DeathWatchNotification(this));
    }

    public override string ToString() => "[Nobody]";
}

internal readonly record struct Envelope(object Message, IActorRef? Sender);
