namespace Haven.Actors.Runtime;

/// <summary>
/// How to create an actor: a factory (run on the actor's mailbox, once per incarnation) and the
/// supervisor strategy the actor applies to its own children.
/// </summary>
public sealed class Props
{
    private Props(Type actorType, Func<Actor> factory, SupervisorStrategy? strategy)
    {
        ActorType = actorType;
        Factory = factory;
        SupervisorStrategy = strategy;
    }

    public Type ActorType { get; }
    internal Func<Actor> Factory { get; }

    /// <summary>Strategy for this actor's children; null means the actor's override or the default (Restart).</summary>
    public SupervisorStrategy? SupervisorStrategy { get; }

    public static Props Create<T>() where T : Actor, new() => new(typeof(T), static () => new T(), null);

    public static Props Create<T>(Func<T> factory) where T : Actor
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(typeof(T), factory, null);
    }

    public Props WithSupervisorStrategy(SupervisorStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return new Props(ActorType, Factory, strategy);
    }

    public override string ToString() => $"Props({ActorType.Name})";
}
