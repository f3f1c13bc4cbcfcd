using System.ComponentModel;
using System.Globalization;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Adapters.Configuration;
using Haven.Adapters.Fencing;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Conntrack;

/// <summary>A conntrackd call failed, timed out or could not start; the message carries the command and its stderr.</summary>
public sealed class ConntrackdCommandException(string command, string detail, bool timedOut, Exception? inner = null)
    : Exception($"{command}: {detail}", inner)
{
    /// <summary>The command line as run.</summary>
    public string Command { get; } = command;

    /// <summary>The call was killed at its timeout (never a success).</summary>
    public bool TimedOut { get; } = timedOut;
}

/// <summary>The role recorded in the state file and when it was recorded.</summary>
public sealed record ConntrackStateRecord(ConntrackRole Role, DateTimeOffset Since);

/// <summary>
/// Runs <c>conntrackd -C CONFIG ARG</c> for each command of a <see cref="ConntrackPlan"/>: as an argv (no
/// shell), one at a time, each killed at the timeout (a hung call is a failure). The first failure stops
/// the plan and throws <see cref="ConntrackdCommandException"/> with conntrackd's stderr. When a promote
/// or demote completes, the state file gets one line <c>master|backup TIMESTAMP</c> (written to a temporary
/// file and renamed), which is what <see cref="RecordedRole"/> and status tools read. The optional command
/// prefix (tests: <c>ip netns exec NS</c>) goes before every argv.
/// </summary>
public sealed class ConntrackdController : IConntrackController
{
    private readonly ConntrackSettings settings;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly IReadOnlyList<string> prefix;
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>The setting that names the conntrackd binary (in messages about it).</summary>
    public const string BinaryKey = ConntrackSettings.Root + ".binary";

    public ConntrackdController(ConntrackSettings settings, ILogger<ConntrackdController> logger, TimeProvider? time = null, IReadOnlyList<string>? commandPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        if (settings.Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Timeout, "conntrack timeout must be positive");
        }

        if (commandPrefix is not null && commandPrefix.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("command prefix: every argument must be non-empty", nameof(commandPrefix));
        }

        this.settings = settings;
        this.logger = logger;
        this.time = time ?? TimeProvider.System;
        prefix = commandPrefix?.ToArray() ?? [];
    }

    /// <summary>
    /// The recorded role; <see cref="ConntrackRole.Backup"/> without a state file. An unreadable or malformed file
    /// counts as <see cref="ConntrackRole.Master"/> (with a warning), so that a host not holding the group demotes —
    /// the safe direction: never two masters.
    /// </summary>
    public ConntrackRole RecordedRole
    {
        get
        {
            try
            {
                return ReadState()?.Role ?? ConntrackRole.Backup;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Conntrack state file {StateFile} unusable ({Error}); assuming master so that a host without the group demotes", settings.StateFile, e.Message);
                return ConntrackRole.Master;
            }
        }
    }

    /// <summary>The state file's record; null when there is none. A malformed file is reported, naming the file.</summary>
    public ConntrackStateRecord? ReadState()
    {
        string text;
        try
        {
            text = File.ReadAllText(settings.StateFile);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var parts = text.Trim().Split(' ', 2, StringSplitOptions.TrimEntries);
        ConntrackRole? role = parts[0] switch { "master" => ConntrackRole.Master, "backup" => ConntrackRole.Backup, _ => null };
        if (role is null || parts.Length != 2
            || !DateTimeOffset.TryParseExact(parts[1], "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var since))
        {
            throw new InvalidDataException($"conntrack state file {settings.StateFile}: expected \"master|backup TIMESTAMP\", found \"{text.Trim()}\"");
        }

        return new ConntrackStateRecord(role.Value, since);
    }

    /// <inheritdoc/>
    public async Task ExecuteAsync(ConntrackPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.IsEmpty)
        {
            return;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (plan.Transition is ConntrackTransition.Promote or ConntrackTransition.Demote)
            {
                logger.LogInformation("Conntrackd {Transition} to {Role}: {Reason}", plan.Transition, plan.Role, plan.Reason);
            }

            foreach (var command in plan.Commands)
            {
                await RunCoreAsync(command, cancellationToken).ConfigureAwait(false);
            }

            if (plan.Transition is ConntrackTransition.Promote or ConntrackTransition.Demote)
            {
                WriteState(plan.Role);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs one command and returns its standard output (the statistics for <c>-s</c>); throws on failure.</summary>
    public async Task<string> RunAsync(ConntrackCommand command, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunCoreAsync(command, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<string> RunCoreAsync(ConntrackCommand command, CancellationToken cancellationToken)
    {
        string[] argv = [.. prefix, settings.Binary, "-C", settings.ConfigFile, command.Argument()];
        var line = string.Join(' ', argv);
        // conntrackd runs as root: a binary named by its path must pass FileTrust (also behind a command prefix), said
        // naming the setting, before anything runs.
        if (settings.Binary.Contains('/', StringComparison.Ordinal) && FileTrust.Problem(settings.Binary, BinaryKey) is { } untrusted)
        {
            logger.LogWarning("Conntrackd command {Command} not run: {Problem}", line, untrusted);
            throw new ConntrackdCommandException(line, $"not run: {untrusted}", false);
        }

        FenceProcessResult result;
        try
        {
            result = await FenceProcess.RunAsync(argv[0], argv[1..], null, settings.Timeout, null, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or FileNotFoundException or UnauthorizedAccessException)
        {
            throw new ConntrackdCommandException(line, $"could not start: {e.Message}", false, e);
        }

        if (result.TimedOut)
        {
            logger.LogWarning("Conntrackd command {Command} timed out after {Timeout}", line, settings.Timeout);
            throw new ConntrackdCommandException(line, $"timed out after {settings.Timeout.TotalSeconds:0.###} s and was killed", true);
        }

        if (result.ExitCode != 0)
        {
            var detail = result.Error.Trim().Length > 0 ? result.Error.Trim() : result.LastLine.Length > 0 ? result.LastLine : "no output";
            logger.LogWarning("Conntrackd command {Command} failed with exit code {ExitCode}: {Error}", line, result.ExitCode, detail);
            throw new ConntrackdCommandException(line, $"exit code {result.ExitCode}: {detail}", false);
        }

        logger.LogDebug("Conntrackd command {Command} succeeded", line);
        return result.Output;
    }

    private void WriteState(ConntrackRole role)
    {
        var path = settings.StateFile;
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var text = $"{(role == ConntrackRole.Master ? "master" : "backup")} {time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)}\n";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
