using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Haven.Actors.Events;
using Haven.Adapters.Configuration;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Events;

/// <summary>
/// Runs the event scripts of one directory (CTDB's events.d) for one event, following <see cref="EventScriptRules"/>:
/// each script as argv <c>PATH EVENT ARGS…</c> (never through a shell), stdin closed, in a process group of its own
/// (started through util-linux <c>setsid</c>) so that at <paramref name="timeout"/> the whole group — the script and
/// everything it spawned, also a child that left the group with setsid or a double fork (<see cref="ProcessTreeKill"/>) —
/// is killed with SIGKILL. A timeout is a failure, never a success.
/// <para>Failure semantics: a failing (non-zero or timed-out) script stops the remaining scripts for every event
/// except <c>shutdown</c>, where every script still runs so each service gets its chance to stop. For
/// <c>monitor</c> that is CTDB's rule (the first failure makes the host UNHEALTHY); for <c>takeip</c>,
/// <c>releaseip</c> and the rest it is CTDB's behaviour too: the event failed and the caller decides.</para>
/// <para>A directory that does not exist has no scripts (every event succeeds). A rules error (duplicate NN) refuses
/// the run: no script runs and the result carries the errors. A script <see cref="FileTrust"/> refuses (another
/// user's, writable by group or others, or in a directory others may change) does not run and is logged as an error
/// on every run; the other scripts run.</para>
/// <para>Output (stdout and stderr, interleaved by line, first 64 KiB; read in bounded chunks, a line over 4096
/// characters cut into pieces) goes into the result and, line by line, into
/// the log at Debug; a failing script's whole output is logged at Warning. After a script exits, output still held
/// open by a background child it left behind is waited for at most <see cref="OutputGrace"/>.</para>
/// </summary>
public sealed class EventScriptRunner(string directory, TimeSpan timeout, TimeProvider time, ILogger logger) : IEventScriptRunner
{
    private const string SetSid = "/usr/bin/setsid";
    private const int OutputLimit = 64 * 1024;
    private const int ChunkChars = 4096;
    private const int MaxLineChars = 4096;

    /// <summary>How long output is still read after a script exited (a background child may hold the pipes).</summary>
    public TimeSpan OutputGrace { get; init; } = TimeSpan.FromSeconds(1);

    public string Directory { get; } = directory ?? throw new ArgumentNullException(nameof(directory));

    public TimeSpan Timeout { get; } = timeout > TimeSpan.Zero
        ? timeout
        : throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "the event script timeout must be positive");

    public ScriptPlan Inspect()
    {
        var info = new DirectoryInfo(Directory);
        if (!info.Exists) return EventScriptRules.Plan(Directory, []);
        var listing = info.EnumerateFileSystemInfos()
            .Select(e =>
            {
                var target = e.LinkTarget is null ? e : e.ResolveLinkTarget(returnFinalTarget: true);
                var regular = target is FileInfo { Exists: true };
                var mode = regular ? File.GetUnixFileMode(target!.FullName) : 0;
                var executable = (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
                return new ScriptFile(e.Name, mode, regular) { Untrusted = regular && executable ? FileTrust.Problem(e.FullName, "event script") : null };
            });
        return EventScriptRules.Plan(Directory, listing);
    }

    public async Task<EventRunResult> RunAsync(ScriptEvent scriptEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scriptEvent);
        var plan = Inspect();
        if (!plan.IsValid)
        {
            foreach (var error in plan.Errors)
                logger.LogError("Event {Event} not run: {Error}", scriptEvent.Name, error);
            return new EventRunResult(scriptEvent, [], plan.Errors, Stopped: false);
        }

        foreach (var refusal in plan.RefusedScripts)
            logger.LogError("Event {Event}: {Refusal}", scriptEvent.Name, refusal);
        var results = ImmutableArray.CreateBuilder<ScriptResult>();
        foreach (var script in plan.Scripts)
        {
            var result = await RunScriptAsync(script, scriptEvent, cancellationToken).ConfigureAwait(false);
            results.Add(result);
            if (result.Succeeded)
            {
                logger.LogDebug("Event script {Script} {Event} succeeded in {Duration}", script.Name, scriptEvent.Name, result.Duration);
                continue;
            }

            if (result.TimedOut)
                logger.LogWarning("Event script {Script} {Event} timed out after {Timeout}; its process group was killed. Output: {Output}",
                    script.Name, scriptEvent.Name, Timeout, result.Output);
            else
                logger.LogWarning("Event script {Script} {Event} failed with exit code {ExitCode}. Output: {Output}",
                    script.Name, scriptEvent.Name, result.ExitCode, result.Output);

            if (scriptEvent is not ScriptEvent.Shutdown)
                return new EventRunResult(scriptEvent, results.ToImmutable(), [], Stopped: results.Count < plan.Scripts.Length);
        }

        return new EventRunResult(scriptEvent, results.ToImmutable(), [], Stopped: false);
    }

    private async Task<ScriptResult> RunScriptAsync(PlannedScript script, ScriptEvent scriptEvent, CancellationToken cancellationToken)
    {
        var grouped = File.Exists(SetSid);
        var start = new ProcessStartInfo(grouped ? SetSid : script.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        if (grouped) start.ArgumentList.Add(script.Path);
        foreach (var argument in scriptEvent.Argv) start.ArgumentList.Add(argument);

        var marker = ProcessTreeKill.Mark(start);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var began = time.GetTimestamp();
        using var timer = time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), limit, Timeout, System.Threading.Timeout.InfiniteTimeSpan);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ScriptResult(script.Name, -1, false, time.GetElapsedTime(began), $"could not start {script.Path}: {e.Message}");
        }

        process.StandardInput.Close();
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput, output, script.Name, scriptEvent.Name),
            PumpAsync(process.StandardError, output, script.Name, scriptEvent.Name));

        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillAll(process, marker);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
        }

        var duration = time.GetElapsedTime(began);
        try
        {
            await pumps.WaitAsync(OutputGrace, time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            logger.LogDebug("Event script {Script} {Event} left a child holding its output; not waiting for it", script.Name, scriptEvent.Name);
        }

        return new ScriptResult(script.Name, timedOut ? -1 : process.ExitCode, timedOut, duration, Text(output));
    }

    /// <summary>
    /// Reads a script's output in chunks of <see cref="ChunkChars"/>, never a whole line at once: a line longer than
    /// <see cref="MaxLineChars"/> (100 MB without a newline) is cut into pieces, so memory stays bounded whatever
    /// the script prints; what is kept is the first <see cref="OutputLimit"/> characters, the rest is read and dropped.
    /// </summary>
    private async Task PumpAsync(StreamReader reader, StringBuilder output, string script, string eventName)
    {
        var buffer = new char[ChunkChars];
        var line = new StringBuilder();
        void Emit()
        {
            var text = line.ToString().TrimEnd('\r');
            line.Clear();
            logger.LogDebug("Event script {Script} {Event}: {Line}", script, eventName, text);
            lock (output)
            {
                if (output.Length < OutputLimit) output.Append(text).Append('\n');
            }
        }

        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] == '\n')
                {
                    Emit();
                    continue;
                }

                line.Append(buffer[i]);
                if (line.Length >= MaxLineChars) Emit();
            }
        }

        if (line.Length > 0) Emit();
    }

    private static string Text(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    private static void KillAll(Process process, string marker)
    {
        try
        {
            // the group setsid made (the script's pid), what left it (setsid again, a double fork): all of the run's processes
            _ = ProcessTreeKill.Kill(process.Id, marker);
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

}
