using System.Globalization;
using System.Text;
using Akka.Configuration;

namespace Haven.Actors.Akka;

/// <summary>
/// What an Akka ActorSystem of Haven takes from Haven's own settings. Operators never write Akka HOCON: Haven's
/// reader validates haven.conf, and <see cref="AkkaConfig"/> renders this record into the few Akka keys Haven
/// controls.
/// </summary>
public sealed record AkkaHostSettings
{
    /// <summary>Set for a simulated host: the name of its <see cref="SimLoop"/> (dispatchers, scheduler, mailbox,
    /// journal all on the loop). Null: Akka's own thread-pool dispatchers and scheduler.</summary>
    public string? SimulationLoop { get; init; }

    /// <summary>Default timeout of Ask. Null: infinite (always in a simulation: a timed Ask arms a real timer —
    /// model the timeout with the scheduler instead).</summary>
    public TimeSpan? AskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Akka's log level: DEBUG, INFO, WARNING, ERROR or OFF.</summary>
    public string LogLevel { get; init; } = "INFO";

    /// <summary>Messages a mailbox handles per turn on a real dispatcher (a simulation hands out one).</summary>
    public int Throughput { get; init; } = 30;

    /// <summary>A simulation from a seeded loop of <paramref name="loop"/>.</summary>
    public static AkkaHostSettings Simulation(SimLoop loop) => new() { SimulationLoop = loop.Name, AskTimeout = null };
}

/// <summary>The one place an Akka Config is built: rendered from <see cref="AkkaHostSettings"/>, parsed by Akka.</summary>
public static class AkkaConfig
{
    /// <summary>The key naming a simulated host's loop (read by the executor, scheduler and mailbox).</summary>
    public const string LoopKey = "haven.sim.loop";

    private const string Assembly = "Haven.Actors";

    /// <summary>Every dispatcher id Akka, Akka.Persistence and Akka.TestKit resolve; a simulation points each at the loop.</summary>
    public static readonly IReadOnlyList<string> DispatcherIds =
    [
        "akka.actor.default-dispatcher",
        "akka.actor.internal-dispatcher",
        "akka.actor.default-blocking-io-dispatcher",
        "akka.actor.default-fork-join-dispatcher",
        "akka.persistence.dispatchers.default-plugin-dispatcher",
        "akka.persistence.dispatchers.default-replay-dispatcher",
        "akka.persistence.dispatchers.default-stream-dispatcher",
        "akka.test.test-actor.dispatcher",
        "akka.test.calling-thread-dispatcher",
    ];

    /// <summary>Parses the rendered text; a failure here is a Haven bug, never an operator error.</summary>
    public static Config Build(AkkaHostSettings settings) => ConfigurationFactory.ParseString(Render(settings));

    public static string Render(AkkaHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var level = settings.LogLevel.ToUpperInvariant();
        if (level is not ("DEBUG" or "INFO" or "WARNING" or "ERROR" or "OFF"))
            throw new ArgumentException($"Akka log level '{settings.LogLevel}' is not one of DEBUG, INFO, WARNING, ERROR, OFF", nameof(settings));
        if (settings.Throughput < 1)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Throughput, "throughput must be at least 1");
        var text = new StringBuilder();
        text.AppendLine($"akka.loglevel = {level}");
        text.AppendLine("akka.log-config-on-start = off");
        text.AppendLine("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off # the daemon handles SIGTERM itself");
        if (settings.SimulationLoop is not { } loop)
        {
            text.AppendLine($"akka.actor.ask-timeout = {Duration(settings.AskTimeout)}");
            text.AppendLine($"akka.actor.default-dispatcher.throughput = {settings.Throughput}");
            return text.ToString();
        }
        if (loop.Length == 0 || loop.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ArgumentException($"simulation loop name '{loop}' must be ASCII letters, digits, '-', '_' or '.'", nameof(settings));
        text.AppendLine($"{LoopKey} = \"{loop}\"");
        // A timed Ask is a real CancellationTokenSource timer: only infinite is deterministic.
        text.AppendLine("akka.actor.ask-timeout = infinite");
        foreach (var id in DispatcherIds)
            text.AppendLine($$"""{{id}} { type = Dispatcher, executor = "Haven.Actors.Akka.SimExecutorConfigurator, {{Assembly}}", throughput = 1, throughput-deadline-time = 0s }""");
        foreach (var mailbox in new[] { "default-mailbox", "mailbox.unbounded-queue-based", "mailbox.unbounded-deque-based" })
            text.AppendLine($"akka.actor.{mailbox}.mailbox-type = \"Haven.Actors.Akka.OneMessageMailbox, {Assembly}\"");
        text.AppendLine($"akka.scheduler.implementation = \"Haven.Actors.Akka.VirtualScheduler, {Assembly}\"");
        text.AppendLine($$"""
            akka {
              # Synchronous logger: no logger actor, no Ask and no thread-pool continuation at start-up.
              stdout-logger-class = "Haven.Actors.Akka.SimLogger, {{Assembly}}"
              loggers = ["Haven.Actors.Akka.SimLogger, {{Assembly}}"]
              loggers-dispatcher = "akka.actor.default-dispatcher"
              # The dead-letter listener throttles on DateTime.UtcNow.
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              # CoordinatedShutdown runs its phases with Task.Run: a simulated host crashes by losing its actors.
              coordinated-shutdown.run-by-actor-system-terminate = off
              persistence {
                journal.plugin = "haven.sim.journal"
                snapshot-store.plugin = "haven.sim.snapshot-store"
              }
            }
            haven.sim.journal {
              class = "Haven.Actors.Akka.SimJournal, {{Assembly}}"
              plugin-dispatcher = "akka.actor.default-dispatcher"
            }
            haven.sim.snapshot-store {
              class = "Haven.Actors.Akka.SimSnapshotStore, {{Assembly}}"
              plugin-dispatcher = "akka.actor.default-dispatcher"
            }
            """);
        return text.ToString();
    }

    private static string Duration(TimeSpan? span) => span is { } s
        ? s > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $"{(long)s.TotalMilliseconds}ms")
            : throw new ArgumentOutOfRangeException(nameof(span), s, "an Ask timeout must be positive (or null: infinite)")
        : "infinite";
}
