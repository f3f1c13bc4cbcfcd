using System.Text;
using Haven.Actors.Fencing;
using Haven.Adapters.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Fencing;

/// <summary>How a <see cref="FenceAgentDevice"/> calls its agent. <see cref="Password"/> is a secret.</summary>
public sealed record FenceAgentOptions
{
    /// <summary>The agent: a name found in /usr/sbin, /usr/bin or /sbin (<c>fence_ipmilan</c>) or an absolute path.</summary>
    public required string Agent { get; init; }

    public string? IpAddress { get; init; }
    public string? Login { get; init; }
    public string? Password { get; init; }

    /// <summary>The plug of each host; a host not listed is its own plug (the cluster host name).</summary>
    public IReadOnlyDictionary<string, string> Plugs { get; init; } = new Dictionary<string, string>();

    /// <summary>Send <c>plug=</c> at all (off for agents without plugs, such as fence_dummy).</summary>
    public bool SendPlug { get; init; } = true;

    /// <summary>More <c>key=value</c> lines for the agent (e.g. <c>lanplus=1</c>, <c>status_file=…</c>).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>Each call of the agent is killed (its whole process group) after this long.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public override string ToString() =>
        $"FenceAgentOptions {{ Agent = {Agent}, IpAddress = {IpAddress}, Login = {Login}, Password = {(Password is null ? "(none)" : "(hidden)")}, Timeout = {Timeout} }}";
}

/// <summary>
/// Runs a fence-agents agent (fence_ipmilan, fence_ilo, fence_virsh, …) with the standard stdin
/// protocol: <c>action=</c>, <c>plug=</c>, <c>ipaddr=</c>, <c>login=</c>, <c>password=</c> lines on
/// stdin, exit 0 for success. After off or on it asks <c>action=status</c> (exit 0 on, 2 off) and
/// reports success only when the state reads as wanted. The password goes on stdin only and is
/// blanked out of anything reported.
/// </summary>
public sealed class FenceAgentDevice : IFenceDevice
{
    private static readonly string[] SearchPath = ["/usr/sbin", "/usr/bin", "/sbin"];
    private const int StatusOn = 0;
    private const int StatusOff = 2;

    private readonly FenceAgentOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;

    public FenceAgentDevice(string name, FenceAgentOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        this.time = time ?? TimeProvider.System;
        foreach (var (key, value) in Lines("status", "host"))
        {
            if (key.Contains('=', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal))
            {
                throw new ArgumentException($"fence device {name}: option {key} must not contain '=' in its name or a line break in its value", nameof(options));
            }
        }
    }

    public string Name { get; }

    public string Type => "fence-agent";

    /// <summary>
    /// The agent's full path; throws naming the places searched when it is not there, or why it is not trusted
    /// (<see cref="FileTrust"/>: a fence agent runs as root).
    /// </summary>
    public string ResolveAgent()
    {
        var path = options.Agent.Contains('/', StringComparison.Ordinal)
            ? File.Exists(options.Agent) ? options.Agent : throw new FenceDeviceException(Name, $"fence agent {options.Agent} does not exist")
            : SearchPath.Select(d => Path.Combine(d, options.Agent)).FirstOrDefault(File.Exists)
              ?? throw new FenceDeviceException(Name, $"fence agent {options.Agent} not found in {string.Join(", ", SearchPath)} (is the package fence-agents installed?)");
        return FileTrust.Problem(path, "fence agent") is { } problem ? throw new FenceDeviceException(Name, problem) : path;
    }

    public async Task<FenceDeviceOutcome> ExecuteAsync(string host, FenceAction action, CancellationToken cancellationToken)
    {
        if (action == FenceAction.Reboot)
        {
            var off = await SwitchAsync(host, "off", PowerState.Off, cancellationToken).ConfigureAwait(false);
            if (!off.Success)
            {
                return off;
            }

            var on = await SwitchAsync(host, "on", PowerState.On, cancellationToken).ConfigureAwait(false);
            return FenceDeviceOutcome.Succeeded($"{off.Detail}; {on.Detail}");
        }

        return action == FenceAction.Off
            ? await SwitchAsync(host, "off", PowerState.Off, cancellationToken).ConfigureAwait(false)
            : await SwitchAsync(host, "on", PowerState.On, cancellationToken).ConfigureAwait(false);
    }

    public async Task<PowerState> GetPowerStateAsync(string host, CancellationToken cancellationToken)
    {
        var result = await RunAsync("status", host, cancellationToken).ConfigureAwait(false);
        return result.TimedOut ? PowerState.Unknown
            : result.ExitCode == StatusOn ? PowerState.On
            : result.ExitCode == StatusOff ? PowerState.Off
            : PowerState.Unknown;
    }

    public async Task<IReadOnlyList<string>> ListHostsAsync(CancellationToken cancellationToken)
    {
        if (options.Plugs.Count > 0)
        {
            return [.. options.Plugs.Keys];
        }

        var result = await RunAsync("list", null, cancellationToken).ConfigureAwait(false);
        if (result.TimedOut || result.ExitCode != 0)
        {
            throw new FenceDeviceException(Name, $"{options.Agent} action=list failed: {Describe(result)}");
        }

        return [.. result.Output.Split('\n').Select(l => l.Split(',')[0].Trim()).Where(l => l.Length > 0)];
    }

    public async Task<FenceDeviceHealth> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await RunAsync("monitor", null, cancellationToken).ConfigureAwait(false);
            return result.ExitCode == 0 && !result.TimedOut
                ? new FenceDeviceHealth(true, $"{options.Agent} monitor succeeded")
                : new FenceDeviceHealth(false, $"{options.Agent} monitor failed: {Describe(result)}");
        }
        catch (FenceDeviceException e)
        {
            return new FenceDeviceHealth(false, e.Message);
        }
    }

    private async Task<FenceDeviceOutcome> SwitchAsync(string host, string action, PowerState wanted, CancellationToken cancellationToken)
    {
        logger.LogInformation("Fence agent {Agent} action {Action} for {Host} via {Device}", options.Agent, action, host, Name);
        var result = await RunAsync(action, host, cancellationToken).ConfigureAwait(false);
        if (result.TimedOut || result.ExitCode != 0)
        {
            return FenceDeviceOutcome.Failed($"{options.Agent} action={action} for {host} failed: {Describe(result)}");
        }

        var status = await RunAsync("status", host, cancellationToken).ConfigureAwait(false);
        var state = status.TimedOut ? PowerState.Unknown
            : status.ExitCode == StatusOn ? PowerState.On
            : status.ExitCode == StatusOff ? PowerState.Off
            : PowerState.Unknown;
        return state == wanted
            ? FenceDeviceOutcome.Succeeded($"{options.Agent} switched {host} {action}; status reads {action}")
            : FenceDeviceOutcome.Failed($"{options.Agent} action={action} for {host} returned 0 but status reads {state.ToString().ToLowerInvariant()} ({Describe(status)})");
    }

    private async Task<FenceProcessResult> RunAsync(string action, string? host, CancellationToken cancellationToken)
    {
        var agent = ResolveAgent();
        var input = new StringBuilder();
        foreach (var (key, value) in Lines(action, host))
        {
            input.Append(key).Append('=').Append(value).Append('\n');
        }

        var result = await FenceProcess.RunAsync(agent, [], input.ToString(), options.Timeout, null, time, cancellationToken).ConfigureAwait(false);
        logger.LogDebug("Fence agent {Agent} action {Action} exited {ExitCode} after {Duration}{TimedOut}",
            options.Agent, action, result.ExitCode, result.Duration, result.TimedOut ? " (timed out, killed)" : "");
        return result with { Output = Redact(result.Output), Error = Redact(result.Error) };
    }

    private IEnumerable<(string Key, string Value)> Lines(string action, string? host)
    {
        yield return ("action", action);
        if (host is not null && options.SendPlug)
        {
            yield return ("plug", options.Plugs.TryGetValue(host, out var plug) ? plug : host);
        }

        if (options.IpAddress is { Length: > 0 } ip)
        {
            yield return ("ipaddr", ip);
        }

        if (options.Login is { Length: > 0 } login)
        {
            yield return ("login", login);
        }

        if (options.Password is { Length: > 0 } password)
        {
            yield return ("password", password);
        }

        foreach (var (key, value) in options.Options)
        {
            yield return (key, value);
        }
    }

    private string Describe(FenceProcessResult result) =>
        result.TimedOut
            ? $"timed out after {options.Timeout.TotalSeconds:0.###} s (process group killed)"
            : $"exit code {result.ExitCode}" + (result.LastLine.Length > 0 ? $": {result.LastLine}" : "");

    private string Redact(string text) =>
        options.Password is { Length: > 0 } password ? text.Replace(password, "***", StringComparison.Ordinal) : text;
}
