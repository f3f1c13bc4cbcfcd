using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;

namespace Haven.Actors.Akka;

/// <summary>
/// Simulated hosts, each its own ActorSystem, on one <see cref="SimLoop"/>. An ActorSystem costs milliseconds to
/// boot, more than a whole seed of actor work, so the hosts are booted once (in free mode) and reused: between
/// seeds <see cref="Reset"/> stops every user actor, wipes the hosts' storage and restarts loop and clock.
/// </summary>
public sealed class SimHosts : IDisposable
{
    private readonly List<ActorSystem> _systems = [];

    /// <param name="name">Loop name, unique in the process (the generated config names it).</param>
    /// <param name="hostNames">One ActorSystem per name (names must be valid Akka system names).</param>
    /// <param name="extra">Extra HOCON over the generated config (tests), or null.</param>
    public SimHosts(string name, int seed, IReadOnlyList<string> hostNames, Config? extra = null)
    {
        if (hostNames.Count == 0) throw new ArgumentException("at least one host", nameof(hostNames));
        if (hostNames.Distinct(StringComparer.Ordinal).Count() != hostNames.Count)
            throw new ArgumentException($"host names must be distinct: {string.Join(", ", hostNames)}", nameof(hostNames));
        var boot = Stopwatch.StartNew();
        Loop = new SimLoop(name, seed);
        try
        {
            var config = AkkaConfig.Build(AkkaHostSettings.Simulation(Loop));
            if (extra is not null) config = extra.WithFallback(config);
            foreach (var host in hostNames) _systems.Add(WarmedUp(ActorSystem.Create(host, config)));
            Loop.Freeze();
        }
        catch
        {
            Dispose();
            throw;
        }
        BootTime = boot.Elapsed;
        Loop.Trace.Clear(); // boot ran in arrival order on the pump; a run's trace starts after it
    }

    /// <summary>
    /// Starts at boot what Akka otherwise starts on first use (the persistence extension, its recovery permitter,
    /// the journal and snapshot store), so that the first seed on fresh hosts runs exactly like any later seed.
    /// </summary>
    private static ActorSystem WarmedUp(ActorSystem system)
    {
        var persistence = global::Akka.Persistence.Persistence.Instance.Apply(system);
        persistence.JournalFor(null);
        persistence.SnapshotStoreFor(null);
        return system;
    }

    public SimLoop Loop { get; }

    public IReadOnlyList<ActorSystem> Systems => _systems;

    /// <summary>Wall time of booting every host and freezing the loop.</summary>
    public TimeSpan BootTime { get; }

    /// <summary>
    /// Crashes a host: stops every actor under its /user (they are gone when this returns) and keeps its storage,
    /// as a disk would. Timers of the stopped actors are cancelled with them.
    /// </summary>
    public void Crash(int host)
    {
        var system = _systems[host];
        var guardian = (ActorRefWithCell)((ExtendedActorSystem)system).Guardian;
        foreach (var child in guardian.Children.ToList()) system.Stop(child);
        Loop.RunUntilIdle();
        var left = guardian.Children.Select(c => c.Path.ToStringWithoutAddress()).ToList();
        if (left.Count > 0)
            throw new InvalidOperationException($"host {system.Name}: actors still alive after the crash: {string.Join(", ", left)}");
    }

    /// <summary>Makes the hosts ready for the next seed, as if just booted: user actors stopped, storage wiped,
    /// loop reseeded, clock at the epoch. Refuses (throws) if anything of the last seed would leak into the next.</summary>
    public void Reset(int seed)
    {
        for (var host = 0; host < _systems.Count; host++) Crash(host);
        foreach (var system in _systems) SimStorage.For(system).Clear();
        Loop.Reset(seed);
    }

    /// <summary>Terminates every host (thawed: Terminate's last part completes on the thread pool) and the loop.</summary>
    public void Dispose()
    {
        Loop.Thaw();
        var terminated = _systems.Select(s => s.Terminate()).ToArray();
        if (!Task.WaitAll(terminated, TimeSpan.FromSeconds(30)))
            Console.Error.WriteLine($"simulation {Loop.Name}: hosts not terminated within 30 s");
        Loop.Dispose();
    }
}
