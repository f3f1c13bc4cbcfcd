using System.Collections.Immutable;

namespace Haven.Actors.FloatingIps.Conntrack;

/// <summary>What this host's conntrackd is for the address group: the master commits and owns the connections.</summary>
public enum ConntrackRole
{
    /// <summary>Keeps the peers' connections in its external cache; never commits them.</summary>
    Backup,

    /// <summary>The host that holds the group: its kernel table carries the connections.</summary>
    Master,
}

/// <summary>One conntrackd client call (<c>conntrackd -C CONFIG ARG</c>); <see cref="ConntrackCommands.Argument"/> gives ARG.</summary>
public enum ConntrackCommand
{
    /// <summary><c>-c</c>: commit the external cache to the kernel table.</summary>
    Commit,

    /// <summary><c>-f</c>: flush the internal and external caches.</summary>
    Flush,

    /// <summary><c>-R</c>: resynchronise the internal cache with the kernel table.</summary>
    ResyncWithKernel,

    /// <summary><c>-B</c>: send a bulk update (the whole internal cache) to the peers.</summary>
    BulkSend,

    /// <summary><c>-t</c>: shorten the kernel timers so connections this host no longer routes expire.</summary>
    ShortenTimers,

    /// <summary><c>-n</c>: ask the peers for a resynchronisation (they send their caches).</summary>
    RequestResync,

    /// <summary><c>-s</c>: statistics; succeeds only while the daemon answers (the monitor).</summary>
    Statistics,

    /// <summary><c>-i</c>: dump the internal cache (this host's connections), for status and diagnosis.</summary>
    DumpInternalCache,

    /// <summary><c>-e</c>: dump the external cache (the peers' connections), for status and diagnosis.</summary>
    DumpExternalCache,
}

/// <summary>Why a plan was made.</summary>
public enum ConntrackTransition
{
    /// <summary>Nothing to do.</summary>
    None,

    /// <summary>This host now holds the whole group: <c>-c -f -R -B</c>.</summary>
    Promote,

    /// <summary>This host no longer holds the whole group: hand over with <c>-B</c>, then <c>-t -n</c>.</summary>
    Demote,

    /// <summary>This host is master and a peer (re)started: <c>-B</c> so the peer's external cache is complete (failback).</summary>
    BulkUpdate,

    /// <summary>Periodic check: <c>-s</c>.</summary>
    Monitor,
}

/// <summary>
/// The commands to run, in order (stop at the first failure), and the role this host has once all succeeded.
/// <see cref="Commands"/> is empty when there is nothing to do.
/// </summary>
public sealed record ConntrackPlan(ConntrackTransition Transition, ConntrackRole Role, ImmutableArray<ConntrackCommand> Commands, string Reason)
{
    public bool IsEmpty => Commands.IsEmpty;

    public override string ToString() =>
        $"{Transition} → {Role} [{string.Join(' ', Commands.Select(ConntrackCommands.Argument))}]: {Reason}";
}

public static class ConntrackCommands
{
    /// <summary>The conntrackd client option of a command.</summary>
    public static string Argument(this ConntrackCommand command) => command switch
    {
        ConntrackCommand.Commit => "-c",
        ConntrackCommand.Flush => "-f",
        ConntrackCommand.ResyncWithKernel => "-R",
        ConntrackCommand.BulkSend => "-B",
        ConntrackCommand.ShortenTimers => "-t",
        ConntrackCommand.RequestResync => "-n",
        ConntrackCommand.Statistics => "-s",
        ConntrackCommand.DumpInternalCache => "-i",
        ConntrackCommand.DumpExternalCache => "-e",
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "unknown conntrackd command"),
    };

    /// <summary>Promotion, as the conntrackd resource agent does it: commit, flush, resync, bulk send.</summary>
    public static readonly ImmutableArray<ConntrackCommand> Promote =
        [ConntrackCommand.Commit, ConntrackCommand.Flush, ConntrackCommand.ResyncWithKernel, ConntrackCommand.BulkSend];

    /// <summary>Demotion: a bulk send first (the next master gets this host's table), then shorten timers and request a resync.</summary>
    public static readonly ImmutableArray<ConntrackCommand> Demote =
        [ConntrackCommand.BulkSend, ConntrackCommand.ShortenTimers, ConntrackCommand.RequestResync];
}

/// <summary>
/// Runs conntrackd plans on this host (implemented by <c>Haven.Adapters.Conntrack.ConntrackdController</c>).
/// <see cref="ExecuteAsync"/> runs the commands in order, stops at the first failure and throws; the
/// recorded role changes only when every command succeeded, so the next decision retries a failed plan.
/// </summary>
public interface IConntrackController
{
    /// <summary>The role last recorded (the state file), or <see cref="ConntrackRole.Backup"/> when none is.</summary>
    ConntrackRole RecordedRole { get; }

    Task ExecuteAsync(ConntrackPlan plan, CancellationToken cancellationToken);
}
