using System.Collections.Immutable;
using System.Globalization;

namespace Haven.Actors.Events;

/// <summary>
/// A CTDB event, as handed to event scripts: <c>SCRIPT NAME ARGS…</c> (see <see cref="Argv"/>). Names and arguments
/// are CTDB's; masks are prefix lengths ("24").
/// </summary>
public abstract record ScriptEvent
{
    private ScriptEvent() { }

    /// <summary>The event's name, the script's first argument.</summary>
    public abstract string Name { get; }

    /// <summary>The event's own arguments, after the name.</summary>
    public virtual ImmutableArray<string> Arguments => [];

    /// <summary>Everything a script receives after its own path: the name, then the arguments.</summary>
    public ImmutableArray<string> Argv => [Name, .. Arguments];

    /// <summary>Once, when the daemon starts, before anything else: clean up after earlier runs.</summary>
    public sealed record Init : ScriptEvent { public override string Name => "init"; }

    /// <summary>Once, after init: apply configuration.</summary>
    public sealed record Setup : ScriptEvent { public override string Name => "setup"; }

    /// <summary>Once, after the first recovery: start the managed services and wait for them.</summary>
    public sealed record Startup : ScriptEvent { public override string Name => "startup"; }

    /// <summary>The daemon is stopping: stop the managed services.</summary>
    public sealed record Shutdown : ScriptEvent { public override string Name => "shutdown"; }

    /// <summary>Every monitor interval: exit 0 when healthy; anything else marks the host UNHEALTHY.</summary>
    public sealed record Monitor : ScriptEvent { public override string Name => "monitor"; }

    /// <summary>A recovery (or an address reallocation) begins.</summary>
    public sealed record StartRecovery : ScriptEvent { public override string Name => "startrecovery"; }

    /// <summary>This host releases <paramref name="Ip"/>/<paramref name="Mask"/> from <paramref name="Interface"/>.</summary>
    public sealed record ReleaseIp(string Interface, string Ip, int Mask) : ScriptEvent
    {
        public override string Name => "releaseip";
        public override ImmutableArray<string> Arguments => [Interface, Ip, Mask.ToString(CultureInfo.InvariantCulture)];
    }

    /// <summary>This host takes <paramref name="Ip"/>/<paramref name="Mask"/> on <paramref name="Interface"/>.</summary>
    public sealed record TakeIp(string Interface, string Ip, int Mask) : ScriptEvent
    {
        public override string Name => "takeip";
        public override ImmutableArray<string> Arguments => [Interface, Ip, Mask.ToString(CultureInfo.InvariantCulture)];
    }

    /// <summary>This host moves <paramref name="Ip"/>/<paramref name="Mask"/> from one interface to another.</summary>
    public sealed record UpdateIp(string OldInterface, string NewInterface, string Ip, int Mask) : ScriptEvent
    {
        public override string Name => "updateip";
        public override ImmutableArray<string> Arguments => [OldInterface, NewInterface, Ip, Mask.ToString(CultureInfo.InvariantCulture)];
    }

    /// <summary>After the releaseip and takeip events of one takeover run.</summary>
    public sealed record IpReallocated : ScriptEvent { public override string Name => "ipreallocated"; }

    /// <summary>A recovery (or an address reallocation) is complete.</summary>
    public sealed record Recovered : ScriptEvent { public override string Name => "recovered"; }
}

/// <summary>
/// One directory entry as the rules see it: the file name, its permission bits, whether it is a regular file, and
/// why it may not be trusted to run as root (its owner or a directory above it: the adapter's file-trust check), if so.
/// </summary>
public sealed record ScriptFile(string Name, UnixFileMode Mode, bool IsRegularFile = true)
{
    public string? Untrusted { get; init; }
}

/// <summary>A script that will run, in <see cref="Order"/> (its NN).</summary>
public sealed record PlannedScript(int Order, string Name, string Path);

/// <summary>A directory entry that will not run, and why (not NN.name, editor backup, not executable, not a file).</summary>
public sealed record SkippedScript(string Name, string Reason)
{
    /// <summary>Whether the entry is an executable regular file (an ignored backup or a misnamed script may be).</summary>
    public bool Executable { get; init; }
}

/// <summary>What a scripts directory runs: the scripts in order, what is skipped, and errors that refuse the whole run.</summary>
public sealed record ScriptPlan(string Directory, ImmutableArray<PlannedScript> Scripts, ImmutableArray<SkippedScript> Skipped, ImmutableArray<string> Errors)
{
    public bool IsValid => Errors.IsEmpty;

    /// <summary>Why each refused script (untrusted, duplicate NN) is refused, by name.</summary>
    public ImmutableDictionary<string, string> Refusals { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>One line (path and fix) per script refused on its own (untrusted): it does not run, the others do.</summary>
    public ImmutableArray<string> RefusedScripts { get; init; } = [];
}

/// <summary>How one script ran: its exit code (-1 when killed at the timeout), its duration, its stdout and stderr interleaved by line.</summary>
public sealed record ScriptResult(string Name, int ExitCode, bool TimedOut, TimeSpan Duration, string Output)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}

/// <summary>
/// How one event ran through the scripts directory: the results in run order, errors that refused the run (no script ran),
/// and whether a failure stopped the remaining scripts.
/// </summary>
public sealed record EventRunResult(ScriptEvent Event, ImmutableArray<ScriptResult> Scripts, ImmutableArray<string> Errors, bool Stopped)
{
    public bool Succeeded => Errors.IsEmpty && Scripts.All(s => s.Succeeded);

    /// <summary>The first failing script, or null.</summary>
    public ScriptResult? FirstFailure => Scripts.FirstOrDefault(s => !s.Succeeded);
}

/// <summary>Runs the event scripts for one event (implemented in Haven.Adapters.Events).</summary>
public interface IEventScriptRunner
{
    /// <summary>Reads the directory and applies <see cref="EventScriptRules"/> without running anything (for `haven events scripts`).</summary>
    ScriptPlan Inspect();

    Task<EventRunResult> RunAsync(ScriptEvent scriptEvent, CancellationToken cancellationToken);
}
