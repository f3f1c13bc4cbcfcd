namespace Haven.Actors.Runtime;

/// <summary>Stops the receiving actor once it reaches this message in its mailbox (after earlier messages).</summary>
public sealed record PoisonPill
{
    public static readonly PoisonPill Instance = new();
    private PoisonPill() { }
}

/// <summary>Makes the receiving actor fail with <see cref="ActorKilledException"/> (its supervisor decides).</summary>
public sealed record Kill
{
    public static readonly Kill Instance = new();
    private Kill() { }
}

/// <summary>Delivered to a watcher when an actor it watches has stopped.</summary>
public sealed record Terminated(IActorRef ActorRef);

/// <summary>Base of everything published about messages that reached nobody.</summary>
public abstract record AllDeadLetters(object Message, IActorRef Sender, IActorRef Recipient);

/// <summary>A message sent to a stopped or unknown actor.</summary>
public sealed record DeadLetter(object Message, IActorRef Sender, IActorRef Recipient)
    : AllDeadLetters(Message, Sender, Recipient);

/// <summary>A message that reached a live actor which had no handler for it.</summary>
public sealed record UnhandledMessage(object Message, IActorRef Sender, IActorRef Recipient)
    : AllDeadLetters(Message, Sender, Recipient);

/// <summary>Replies that carry an outcome rather than a value; a Failure fails an Ask.</summary>
public static class Status
{
    public sealed record Success(object? Value);
    public sealed record Failure(Exception Cause);
}

/// <summary>An Ask got no reply within its timeout.</summary>
public sealed class AskTimeoutException(string message) : TimeoutException(message);

/// <summary>An actor's constructor or PreStart threw; the default supervisor stops such an actor.</summary>
public sealed class ActorInitializationException(string message, Exception inner) : Exception(message, inner);

/// <summary>An actor received <see cref="Kill"/>.</summary>
public sealed class ActorKilledException(string message) : Exception(message);

/// <summary>An actor did not handle the <see cref="Terminated"/> of an actor it watched.</summary>
public sealed class DeathPactException(IActorRef dead)
    : Exception($"actor {dead.Path} terminated and the watcher did not handle Terminated")
{
    public IActorRef DeadActor { get; } = dead;
}

/// <summary>An actor name is malformed or already taken by a sibling.</summary>
public sealed class InvalidActorNameException(string message) : ArgumentException(message);

/// <summary>Stash misuse: stashing the same message twice, or stashing outside message handling.</summary>
public sealed class StashException(string message) : InvalidOperationException(message);
