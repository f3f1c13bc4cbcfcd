using System.Diagnostics;
using System.Text;
using Haven.Adapters.Configuration;

namespace Haven.Adapters.Fencing;

/// <summary>How a fence process ended: its exit code and output, or that it was killed at the timeout.</summary>
public sealed record FenceProcessResult(int ExitCode, string Output, string Error, bool TimedOut, TimeSpan Duration)
{
    /// <summary>The last line of stderr (or stdout), for error messages.</summary>
    public string LastLine => (Error.Trim().Length > 0 ? Error : Output).Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
}

/// <summary>
/// Runs one fence agent or script: arguments through ArgumentList only (never a shell), secrets only on
/// stdin, in a process group of its own (started through setsid) so that at the timeout — or on
/// cancellation — the whole group, and what left it with setsid or a double fork (<see cref="ProcessTreeKill"/>), is killed with SIGKILL. A timeout is a result, never a success. A program named by
/// its path must pass <see cref="FileTrust"/> (root's, and neither it nor a directory above it writable by group or
/// others), else <see cref="UnauthorizedAccessException"/> naming it and nothing runs.
/// </summary>
public static class FenceProcess
{
    private const string SetSid = "/usr/bin/setsid";

    public static async Task<FenceProcessResult> RunAsync(
        string file,
        IReadOnlyList<string> arguments,
        string? standardInput,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (file.Contains('/', StringComparison.Ordinal)) FileTrust.Require(file, "program");
        var start = new ProcessStartInfo(File.Exists(SetSid) ? SetSid : file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (start.FileName == SetSid)
        {
            start.ArgumentList.Add(file);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var marker = ProcessTreeKill.Mark(start);
        var began = time.GetTimestamp();
        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), limit, timeout, Timeout.InfiniteTimeSpan);
        try
        {
            try
            {
                await process.StandardInput.WriteAsync(standardInput ?? "").ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // the process exited without reading its input; its exit code tells the rest
            }

            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillAll(process, marker);
            cancellationToken.ThrowIfCancellationRequested();
            return new FenceProcessResult(-1, Text(output), Text(error), true, time.GetElapsedTime(began));
        }

        // Children left behind in the group (a backgrounded helper) go too.
        KillAll(process, marker);
        return new FenceProcessResult(process.ExitCode, Text(output), Text(error), false, time.GetElapsedTime(began));
    }

    private static void KillAll(Process process, string marker)
    {
        try
        {
            // the group setsid made, and what left it (setsid again, a double fork): all of the run's processes
            _ = ProcessTreeKill.Kill(process.Id, marker);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(5_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            if (target.Length < 64 * 1024)
            {
                target.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }

}
