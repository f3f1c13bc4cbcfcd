namespace Haven.Actors.Runtime;

/// <summary>An actor's view of itself and its surroundings; valid only on the actor's own turn.</summary>
public interface IActorContext
{
    IActorRef Self { get; }

    /// <summary>Sender of the message being handled, or DeadLetters when there is none.</summary>
    IActorRef Sender { get; }
    IActorRef Parent { get; }
    ActorSystem System { get; }
    Props Props { get; }

    /// <summary>Creates a child; <paramref name="name"/> must be unique among live siblings (generated when null).</summary>
    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>The child with that name, or <see cref="ActorRefs.Nobody"/>.</summary>
    IActorRef Child(string name);

    /// <summary>Children in creation order (including ones that are stopping).</summary>
    IReadOnlyList<IActorRef> Children { get; }

    /// <summary>Stops a child (or self) asynchronously: its pending system work runs, user messages become dead letters.</summary>
    void Stop(IActorRef actor);

    /// <summary>Delivers <see cref="Terminated"/> when <paramref name="subject"/> stops (at once if already dead).</summary>
    IActorRef Watch(IActorRef subject);
    IActorRef Unwatch(IActorRef subject);
}

/// <summary>Runs await continuations of ReceiveAsync handlers on the actor, through its system channel.</summary>
internal sealed class ActorSynchronizationContext(ActorCell cell) : SynchronizationContext
{
    public override void Post(SendOrPostCallback d, object? state) =>
        cell.Mailbox.PostSystem(new RunContinuation(d, state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException($"{cell.Path}: synchronous Send onto an actor is not supported");

    public override SynchronizationContext CreateCopy() => this;
}

/// <summary>The user and system guardians, and the root. No handlers: anything sent to them is unhandled.</summary>
internal sealed class GuardianActor(SupervisorStrategy strategy) : Actor
{
    protected internal override SupervisorStrategy? SupervisorStrategy() => strategy;
}

/// <summary>Parent of the root guardian: completes the system's termination.</summary>
internal sealed class RootParentRef(ActorSystem system) : IInternalActorRef
{
    public ActorPath Path { get; } = ActorPath.Root(system.Name).Child("$bubble");
    public bool IsTerminated => false;
    public ActorSystem? System => system;
    public void Tell(object message, IActorRef? sender) { }

    public void SendSystemMessage(SystemMessage message)
    {
        switch (message)
        {
            case ChildTerminated:
                system.MarkTerminated();
                break;
            case Failed f when f.Child is IInternalActorRef root:
                root.SendSystemMessage(Terminate.Instance);
                break;
        }
    }
}
