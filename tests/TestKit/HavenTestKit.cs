using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.TestKit;

/// <summary>
/// xunit base class: a deterministic ActorSystem (one <see cref="DeterministicDispatcher"/>, one
/// <see cref="VirtualClock"/>, Random seeded with <see cref="Seed"/>) torn down on Dispose. Extra systems
/// from <see cref="CreateSystem"/> share the same dispatcher and clock, as simulated cluster hosts do.
/// </summary>
public abstract class HavenTestKit : IDisposable
{
    private readonly List<ActorSystem> _systems = new();
    private readonly ILoggerFactory? _loggerFactory;

    protected HavenTestKit(int seed = 12345, string systemName = "test", ILoggerFactory? loggerFactory = null)
    {
        Seed = seed;
        _loggerFactory = loggerFactory;
        Dispatcher = new DeterministicDispatcher();
        Clock = new VirtualClock(dispatcher: Dispatcher);
        Sys = CreateSystem(systemName);
    }

    public int Seed { get; }
    public DeterministicDispatcher Dispatcher { get; }
    public VirtualClock Clock { get; }
    public ActorSystem Sys { get; }
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Another system on the same dispatcher and clock (its Random is seeded from Seed and its index).</summary>
    public ActorSystem CreateSystem(string name)
    {
        var settings = ActorSystemSettings.Deterministic(Dispatcher, Clock, Seed + _systems.Count, _loggerFactory);
        var system = ActorSystem.Create(name, settings);
        _systems.Add(system);
        return system;
    }

    public TestProbe CreateTestProbe(string? name = null) => new(Sys, name, DefaultTimeout);
    public TestProbe CreateTestProbe(ActorSystem system, string? name = null) => new(system, name, DefaultTimeout);

    public IActorRef ActorOf(Props props, string? name = null) => Sys.ActorOf(props, name);
    public IActorRef ActorOf<T>(string? name = null) where T : Actor, new() => Sys.ActorOf(Props.Create<T>(), name);

    public int RunUntilIdle() => Dispatcher.RunUntilIdle();

    /// <summary>Moves virtual time forward, firing timers in order and running actors between them.</summary>
    public void Advance(TimeSpan by) => Clock.Advance(by);

    public T AwaitResult<T>(Task<T> task, TimeSpan? timeout = null) => Driver.Await(Sys, task, timeout ?? DefaultTimeout);

    public Exception AwaitFailure(Task task, TimeSpan? timeout = null) => Driver.AwaitFailure(Sys, task, timeout ?? DefaultTimeout);

    public virtual void Dispose()
    {
        foreach (var system in Enumerable.Reverse(_systems)) system.Terminate();
        Dispatcher.RunUntilIdle();
        GC.SuppressFinalize(this);
    }
}
