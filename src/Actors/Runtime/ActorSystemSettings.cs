using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Actors.Runtime;

/// <summary>
/// Everything an ActorSystem takes from outside. For a deterministic run, pass one
/// <see cref="DeterministicDispatcher"/>, a <see cref="VirtualClock"/> attached to it, and a seeded
/// Random; see <see cref="Deterministic"/>.
/// </summary>
public sealed record ActorSystemSettings
{
    /// <summary>Source of all time (timers, Ask timeouts, supervision windows).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Source of all randomness (backoff jitter). Used under a lock, so a plain seeded Random is fine.</summary>
    public Random Random { get; init; } = Random.Shared;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Null: a <see cref="ThreadPoolDispatcher"/> with <see cref="Throughput"/>.</summary>
    public MessageDispatcher? Dispatcher { get; init; }

    /// <summary>Messages one mailbox handles per turn on the default dispatcher.</summary>
    public int Throughput { get; init; } = 100;

    /// <summary>How the /user guardian treats top-level actors that fail.</summary>
    public SupervisorStrategy GuardianSupervisorStrategy { get; init; } = SupervisorStrategy.Default;

    /// <summary>
    /// Settings for a deterministic run. Several systems built from the same dispatcher and clock form one
    /// simulated cluster: they share the run queue and the timeline.
    /// </summary>
    public static ActorSystemSettings Deterministic(DeterministicDispatcher dispatcher, VirtualClock clock, int seed,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(clock);
        if (clock.Dispatcher is null) clock.Dispatcher = dispatcher;
        else if (!ReferenceEquals(clock.Dispatcher, dispatcher))
            throw new ArgumentException("the virtual clock is already attached to another DeterministicDispatcher", nameof(clock));
        return new ActorSystemSettings
        {
            Dispatcher = dispatcher,
            TimeProvider = clock,
            Random = new Random(seed),
            LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
        };
    }
}
