using Haven.Actors.Runtime;

namespace Haven.Actors.Tests.Runtime;

public sealed record Ping(int N);
public sealed record Pong(int N);
public sealed record Boom(string Why);
public sealed record GetState;

/// <summary>Echoes every message back to its sender.</summary>
public sealed class Echo : Actor
{
    public Echo() => ReceiveAny(m => Sender.Tell(m, Self));
}

/// <summary>Replies Pong(n) to Ping(n).</summary>
public sealed class Ponger : Actor
{
    public Ponger() => Receive<Ping>(p => Sender.Tell(new Pong(p.N), Self));
}

/// <summary>Forwards everything to a target, keeping the sender.</summary>
public sealed class Forwarder : Actor
{
    public Forwarder(IActorRef target) => ReceiveAny(m => target.Forward(m));
}

/// <summary>Counts messages; throws on Boom; reports hooks and state to a probe.</summary>
public sealed class Counter : Actor
{
    private readonly IActorRef _report;
    private int _count;

    public Counter(IActorRef report, string id = "counter")
    {
        _report = report;
        report.Tell($"{id}:ctor", null);
        Receive<Boom>(b => throw new InvalidOperationException(b.Why));
        Receive<GetState>(_ => Sender.Tell(_count, Self));
        Receive<int>(n => { _count += n; _report.Tell($"{id}:got {n}", null); });
        Id = id;
    }

    private string Id { get; }

    protected override void PreStart() => _report.Tell($"{Id}:PreStart", null);
    protected override void PostStop() => _report.Tell($"{Id}:PostStop", null);

    protected override void PreRestart(Exception reason, object? message)
    {
        _report.Tell($"{Id}:PreRestart {reason.Message} on {message}", null);
        base.PreRestart(reason, message);
    }

    protected override void PostRestart(Exception reason)
    {
        _report.Tell($"{Id}:PostRestart {reason.Message}", null);
        base.PostRestart(reason);
    }
}

/// <summary>A parent that creates children on request and supervises them with the given strategy.</summary>
public sealed class Parent : Actor
{
    private readonly SupervisorStrategy? _strategy;

    public Parent(SupervisorStrategy? strategy = null)
    {
        _strategy = strategy;
        Receive<(Props Props, string Name)>(req => Sender.Tell(Context.ActorOf(req.Props, req.Name), Self));
        Receive<Props>(p => Sender.Tell(Context.ActorOf(p), Self));
        Receive<Boom>(b => throw new InvalidOperationException(b.Why));
    }

    protected internal override SupervisorStrategy? SupervisorStrategy() => _strategy;
}
