using Haven.Actors.Fencing;
using Haven.Adapters.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Fencing;

/// <summary>Where a <see cref="ScriptFenceDevice"/> finds its script and how long it may run.</summary>
public sealed record ScriptFenceOptions
{
    /// <summary>The fence directory (HA-Lizard's FENCE_FILE_LOC, e.g. /etc/haven/fence).</summary>
    public required string Directory { get; init; }

    /// <summary>NAME: the script is DIRECTORY/NAME/NAME.sh and its host map DIRECTORY/NAME/NAME.hosts.</summary>
    public required string ScriptName { get; init; }

    /// <summary>Given to the script as a <c>password=…</c> line on stdin, when set. A secret.</summary>
    public string? Password { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public override string ToString() =>
        $"ScriptFenceOptions {{ Directory = {Directory}, ScriptName = {ScriptName}, Password = {(Password is null ? "(none)" : "(hidden)")}, Timeout = {Timeout} }}";
}

/// <summary>
/// HA-Lizard's custom fence script interface: <c>DIR/NAME/NAME.sh HOST start|stop|reset</c>, exit 0
/// success and 1 failure, with <c>DIR/NAME/NAME.hosts</c> mapping each host to its device address
/// (<c>host:address</c> per line; Haven's host is the cluster node name where HA-Lizard used the
/// XenServer host UUID). The script is trusted to verify what it did — its exit 0 for stop must mean
/// "the host is off". A script writable by group or others is refused. The address is passed in
/// HAVEN_FENCE_ADDRESS, the password (if any) as a <c>password=</c> line on stdin.
/// </summary>
public sealed class ScriptFenceDevice : IFenceDevice
{
    private readonly ScriptFenceOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;

    public ScriptFenceDevice(string name, ScriptFenceOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        if (!Haven.Actors.Configuration.FencingConfig.IsValidName(options.ScriptName))
        {
            throw new ArgumentException($"fence device {name}: script name \"{options.ScriptName}\" must be letters, digits, '.', '_' or '-'", nameof(options));
        }

        Name = name;
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        this.time = time ?? TimeProvider.System;
    }

    public string Name { get; }

    public string Type => "script";

    public string ScriptPath => Path.Combine(options.Directory, options.ScriptName, options.ScriptName + ".sh");

    public string HostsPath => Path.Combine(options.Directory, options.ScriptName, options.ScriptName + ".hosts");

    public async Task<FenceDeviceOutcome> ExecuteAsync(string host, FenceAction action, CancellationToken cancellationToken)
    {
        var script = CheckScript();
        var hosts = ReadHosts();
        if (!hosts.TryGetValue(host, out var address))
        {
            throw new FenceDeviceException(Name, $"host {host} is not listed in {HostsPath} (known: {string.Join(", ", hosts.Keys)})");
        }

        var verb = action switch
        {
            FenceAction.Off => "stop",
            FenceAction.On => "start",
            _ => "reset",
        };
        logger.LogInformation("Fence script {Script} {Verb} for {Host} via {Device}", script, verb, host, Name);
        var input = options.Password is { Length: > 0 } password ? $"password={password}\n" : "";
        var result = await FenceProcess.RunAsync(script, [host, verb], input, options.Timeout,
            new Dictionary<string, string> { ["HAVEN_FENCE_ADDRESS"] = address, ["HAVEN_FENCE_HOST"] = host }, time, cancellationToken).ConfigureAwait(false);
        var last = options.Password is { Length: > 0 } secret ? result.LastLine.Replace(secret, "***", StringComparison.Ordinal) : result.LastLine;
        if (result.TimedOut)
        {
            return FenceDeviceOutcome.Failed($"{script} {verb} {host} timed out after {options.Timeout.TotalSeconds:0.###} s (process group killed)");
        }

        return result.ExitCode == 0
            ? FenceDeviceOutcome.Succeeded($"{script} {verb} {host} exited 0")
            : FenceDeviceOutcome.Failed($"{script} {verb} {host} exited {result.ExitCode}" + (last.Length > 0 ? $": {last}" : ""));
    }

    /// <summary>The interface has no status action: the power state is unknown.</summary>
    public Task<PowerState> GetPowerStateAsync(string host, CancellationToken cancellationToken) => Task.FromResult(PowerState.Unknown);

    public Task<IReadOnlyList<string>> ListHostsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. ReadHosts().Keys]);

    public Task<FenceDeviceHealth> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            CheckScript();
            var hosts = ReadHosts();
            return Task.FromResult(new FenceDeviceHealth(true, $"{ScriptPath} with {hosts.Count} host(s)"));
        }
        catch (FenceDeviceException e)
        {
            return Task.FromResult(new FenceDeviceHealth(false, e.Message));
        }
    }

    /// <summary>The script's path once it is a regular, owner-executable file not writable by group or others.</summary>
    private string CheckScript()
    {
        var path = ScriptPath;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FenceDeviceException(Name, $"fence script {path} does not exist");
        }

        if (info.LinkTarget is not null)
        {
            throw new FenceDeviceException(Name, $"fence script {path} is a symbolic link; use the file itself");
        }

        if (FileTrust.Problem(path, "fence script") is { } problem)
        {
            throw new FenceDeviceException(Name, problem);
        }

        if ((info.UnixFileMode & UnixFileMode.UserExecute) == 0)
        {
            throw new FenceDeviceException(Name, $"fence script {path} is not executable (chmod u+x)");
        }

        return path;
    }

    private Dictionary<string, string> ReadHosts()
    {
        if (!File.Exists(HostsPath))
        {
            throw new FenceDeviceException(Name, $"host map {HostsPath} does not exist (one host:address per line)");
        }

        var hosts = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(HostsPath);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == line.Length - 1)
            {
                throw new FenceDeviceException(Name, $"{HostsPath}:{i + 1}: expected host:address, found \"{line}\"");
            }

            var host = line[..colon];
            if (!hosts.TryAdd(host, line[(colon + 1)..]))
            {
                throw new FenceDeviceException(Name, $"{HostsPath}:{i + 1}: host {host} is listed twice");
            }
        }

        return hosts;
    }
}
