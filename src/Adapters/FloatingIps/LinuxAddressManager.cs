using System.ComponentModel;
using System.Globalization;
using Haven.Actors.Cluster;
using Haven.Adapters.Fencing;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.FloatingIps;

/// <summary>
/// Takes and releases floating IPv4 addresses on this host with iproute2 and iputils-arping.
/// <para>
/// Take: already on the interface → done (Haven reasserts addresses after restarts). Otherwise an ARP
/// duplicate-address probe (<c>arping -D</c>; skipped when the caller says the last holder was fenced, or with
/// <c>duplicateProbes</c> 0); if another machine answers, <see cref="AddressInUseException"/> and nothing is added. Then <c>ip addr add</c> and one gratuitous ARP (<c>arping -U</c>) so peers
/// update their neighbour entries; a failed gratuitous ARP is logged, not fatal.
/// </para>
/// <para>
/// Release: not on the interface → done. Otherwise <c>ip addr del</c>, then <c>ss -K</c> resets the TCP
/// connections to and from the address (surviving connections cause ACK storms after a move); ss
/// always exits 0, so its errors are only logged.
/// </para>
/// <para>
/// Every command runs as an argv (never a shell), with a timeout that kills its process group; a hung
/// command is a failure. Inputs are validated (<see cref="AddressValidation"/>) before any command runs.
/// The optional <c>commandPrefix</c> is put before every command's argv: tests pass
/// <c>["ip", "netns", "exec", NAMESPACE]</c> so the manager acts inside a network namespace; the daemon
/// passes none.
/// </para>
/// </summary>
public sealed class LinuxAddressManager : IAddressManager
{
    /// <summary>Long enough for the ARP probes (<c>-w</c> up to 5 s) plus start-up; anything slower is hung.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(10);

    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly IReadOnlyList<string> prefix;
    private readonly TimeSpan timeout;

    public LinuxAddressManager(
        ILogger<LinuxAddressManager> logger,
        TimeProvider? time = null,
        IReadOnlyList<string>? commandPrefix = null,
        TimeSpan? commandTimeout = null,
        int duplicateProbes = 1)
    {
        if (duplicateProbes is < 0 or > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(duplicateProbes), duplicateProbes, "duplicate-address probes: 0..5");
        }

        ArgumentNullException.ThrowIfNull(logger);
        if (commandPrefix is not null && commandPrefix.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("command prefix: every argument must be non-empty", nameof(commandPrefix));
        }

        if (commandTimeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(commandTimeout), t, "command timeout must be positive");
        }

        this.logger = logger;
        this.time = time ?? TimeProvider.System;
        prefix = commandPrefix?.ToArray() ?? [];
        timeout = commandTimeout ?? DefaultCommandTimeout;
        probes = duplicateProbes;
    }

    private readonly int probes;

    public async Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken)
    {
        AddressValidation.Validate(address);
        var held = await HeldOnAsync(address.Interface, cancellationToken).ConfigureAwait(false);
        if (held.Any(h => h.Ip == address.Ip))
        {
            logger.LogDebug("Floating address {Address} already on {Interface}; nothing to take", address.Ip, address.Interface);
            return;
        }

        if (probe && probes > 0) await ProbeAsync(address, cancellationToken).ConfigureAwait(false);

        var cidr = $"{address.Ip}/{address.Mask.ToString(CultureInfo.InvariantCulture)}";
        await RunCheckedAsync(["ip", "addr", "add", cidr, "dev", address.Interface], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Took floating address {Address}/{Mask} on {Interface}", address.Ip, address.Mask, address.Interface);

        try
        {
            var announce = await RunAsync(["arping", "-U", "-c", "1", "-I", address.Interface, "-s", address.Ip, address.Ip], cancellationToken).ConfigureAwait(false);
            if (announce.Result.ExitCode != 0 || announce.Result.TimedOut)
            {
                logger.LogWarning("Gratuitous ARP for {Address} on {Interface} failed: {Error}", address.Ip, address.Interface, Failure(announce).Message);
            }
        }
        catch (AddressCommandException e)
        {
            logger.LogWarning("Gratuitous ARP for {Address} on {Interface} failed: {Error}", address.Ip, address.Interface, e.Message);
        }
    }

    /// <summary>Duplicate-address detection: <c>arping -D -c N -w N</c>; exit 1 means another machine answered.</summary>
    private async Task ProbeAsync(PublicAddress address, CancellationToken cancellationToken)
    {
        var n = probes.ToString(CultureInfo.InvariantCulture);
        var probe = await RunAsync(["arping", "-D", "-c", n, "-w", n, "-I", address.Interface, address.Ip], cancellationToken).ConfigureAwait(false);
        switch (probe.Result.ExitCode)
        {
            case 0:
                break;
            case 1:
                var answer = FirstLine(probe.Result.Output, "reply from") ?? "an ARP reply";
                logger.LogWarning("Floating address {Address} is in use on {Interface}: {Answer}; not taking it", address.Ip, address.Interface, answer);
                throw new AddressInUseException(address, answer);
            default:
                throw Failure(probe);
        }

    }

    public async Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken)
    {
        AddressValidation.Validate(address);
        var held = await HeldOnAsync(address.Interface, cancellationToken).ConfigureAwait(false);
        var present = held.FirstOrDefault(h => h.Ip == address.Ip);
        if (present is null)
        {
            logger.LogDebug("Floating address {Address} not on {Interface}; nothing to release", address.Ip, address.Interface);
            return;
        }

        // Delete with the mask the kernel holds (a reconfigured mask must not leave the address behind).
        var cidr = $"{present.Ip}/{present.Mask.ToString(CultureInfo.InvariantCulture)}";
        await RunCheckedAsync(["ip", "addr", "del", cidr, "dev", address.Interface], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Released floating address {Address}/{Mask} from {Interface}", present.Ip, present.Mask, address.Interface);

        foreach (var direction in (string[])["dst", "src"])
        {
            try
            {
                var kill = await RunAsync(["ss", "-K", "-t", direction, address.Ip], cancellationToken).ConfigureAwait(false);
                if (kill.Result.ExitCode != 0 || kill.Result.TimedOut || kill.Result.Error.Trim().Length > 0)
                {
                    logger.LogWarning("Resetting TCP connections ({Direction}) of {Address} reported: {Error}", direction, address.Ip, Failure(kill).Message);
                }
            }
            catch (AddressCommandException e)
            {
                logger.LogWarning("Resetting TCP connections ({Direction}) of {Address} failed: {Error}", direction, address.Ip, e.Message);
            }
        }
    }

    /// <summary>The IPv4 addresses on <paramref name="iface"/> now (<c>ip -o -4 addr show dev IFACE</c>); a missing interface is an error.</summary>
    public async Task<IReadOnlyList<PublicAddress>> HeldOnAsync(string iface, CancellationToken cancellationToken)
    {
        AddressValidation.ValidateInterface(iface);
        var run = await RunCheckedAsync(["ip", "-o", "-4", "addr", "show", "dev", iface], cancellationToken).ConfigureAwait(false);
        return ParseAddresses(run.Output, iface);
    }

    /// <summary>Reads <c>ip -o -4 addr show</c> output: the token after each "inet" is A.B.C.D/NN.</summary>
    internal static IReadOnlyList<PublicAddress> ParseAddresses(string output, string iface)
    {
        var result = new List<PublicAddress>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var at = Array.IndexOf(tokens, "inet");
            if (at < 0 || at + 1 >= tokens.Length)
            {
                continue;
            }

            var cidr = tokens[at + 1].Split('/');
            if (cidr.Length == 2 && int.TryParse(cidr[1], NumberStyles.None, CultureInfo.InvariantCulture, out var mask))
            {
                result.Add(new PublicAddress(cidr[0], mask, iface));
            }
        }

        return result;
    }

    private sealed record Run(string Command, FenceProcessResult Result);

    private async Task<FenceProcessResult> RunCheckedAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var run = await RunAsync(command, cancellationToken).ConfigureAwait(false);
        if (run.Result.TimedOut || run.Result.ExitCode != 0)
        {
            throw Failure(run);
        }

        return run.Result;
    }

    private async Task<Run> RunAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var argv = prefix.Concat(command).ToArray();
        var line = string.Join(' ', argv);
        logger.LogDebug("Running {Command}", line);
        try
        {
            var result = await FenceProcess.RunAsync(argv[0], argv[1..], null, timeout, null, time, cancellationToken).ConfigureAwait(false);
            return new Run(line, result);
        }
        catch (Exception e) when (e is Win32Exception or UnauthorizedAccessException)
        {
            throw new AddressCommandException(line, $"cannot start: {e.Message}", timedOut: false, e);
        }
    }

    private AddressCommandException Failure(Run run) => run.Result.TimedOut
        ? new AddressCommandException(run.Command, $"timed out after {timeout.TotalSeconds:0.###} s and was killed", timedOut: true)
        : new AddressCommandException(run.Command, $"exit code {run.Result.ExitCode}: {Detail(run.Result)}", timedOut: false);

    private static string Detail(FenceProcessResult result)
    {
        var error = result.Error.Trim();
        return error.Length > 0 ? error : result.LastLine.Length > 0 ? result.LastLine : "no output";
    }

    private static string? FirstLine(string text, string containing) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains(containing, StringComparison.OrdinalIgnoreCase));
}
