using System.Collections.Immutable;
using System.Diagnostics;
using Haven.Actors.Fencing;
using Haven.Adapters.Configuration;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// reboot-lone-host on this host: with the watchdog armed, stop petting it (the host is reset within the
/// watchdog timeout, also when the reboot itself would hang); otherwise run haven.fencing.reboot-command as
/// argv — never through a shell — after checking that the program is an existing regular file that neither
/// group nor others may write. The FenceActor calls it once while this host is alone; a second call while a
/// reboot is already under way does nothing, one after a reboot that failed to start tries again.
/// </summary>
internal sealed class DaemonSelfReboot : ISelfReboot
{
    /// <summary>How long the reboot command may take to return (systemctl returns once the reboot is queued).</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly DaemonWatchdog? _watchdog;
    private readonly ImmutableArray<string> _command;
    private readonly string _searchPath;
    private readonly ILogger _log;
    private int _underWay;

    /// <param name="searchPath">Where a bare command name is looked up (PATH's syntax); null: this process's PATH.</param>
    public DaemonSelfReboot(DaemonWatchdog? watchdog, ImmutableArray<string> command, ILogger logger, string? searchPath = null)
    {
        if (FencingRulesConfig.RebootCommandProblem(command) is { } problem) throw new ArgumentException($"{FencingRulesConfig.RebootCommandKey}: {problem}", nameof(command));
        _watchdog = watchdog;
        _command = command;
        _searchPath = searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
        _log = logger;
    }

    public async Task RebootAsync(string reason, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _underWay, 1, 0) != 0)
        {
            _log.LogWarning("Self-reboot already under way; not starting another ({Reason})", reason);
            return;
        }
        try
        {
            if (_watchdog is { Armed: true } watchdog)
            {
                _log.LogError("Rebooting this host: {Reason}; the watchdog is no longer petted and resets it", reason);
                watchdog.StopPetting($"this host reboots itself: {reason}");
                return;
            }
            await RunCommandAsync(reason, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _underWay, 0); // it did not start: a later request may try again
            throw;
        }
    }

    private async Task RunCommandAsync(string reason, CancellationToken cancellationToken)
    {
        var program = Resolve(_command[0]);
        _log.LogError("Rebooting this host: {Reason}; running {Command}", reason, string.Join(' ', _command));
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in _command.Skip(1)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new IOException($"{program} did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{FencingRulesConfig.RebootCommandKey} {program} did not return within {CommandTimeout.TotalSeconds:0} s and was killed");
        }
        var said = $"{await errors.ConfigureAwait(false)}{await output.ConfigureAwait(false)}".Trim();
        if (process.ExitCode != 0)
            throw new IOException($"{FencingRulesConfig.RebootCommandKey} {program} exited with {process.ExitCode}{(said.Length > 0 ? $": {said}" : "")}");
        _log.LogInformation("Reboot command {Program} returned; this host is going down", program);
    }

    /// <summary>
    /// The program to run: an absolute path, or a bare name found in the search path; an existing file that (after
    /// following links) neither group nor others may write.
    /// </summary>
    internal string Resolve(string command)
    {
        var path = command.StartsWith('/')
            ? command
            : _searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries).Where(d => d.StartsWith('/')).Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists)
              ?? throw new FileNotFoundException($"{FencingRulesConfig.RebootCommandKey}: {command} is not found in PATH ({_searchPath})");
        if (!File.Exists(path)) throw new FileNotFoundException($"{FencingRulesConfig.RebootCommandKey}: {path} does not exist or is not a regular file");
        // A link (/sbin/reboot → systemctl) runs as itself (multi-call programs read argv[0]); what it points to is checked.
        FileTrust.Require(path, $"{FencingRulesConfig.RebootCommandKey}: the program");
        return path;
    }
}
