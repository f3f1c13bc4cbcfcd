using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Heuristics;

/// <summary>Sends one ICMP echo and says whether it was answered within the timeout (the test seam for <see cref="PingReachability"/>).</summary>
internal delegate Task<bool> EchoSender(IPAddress address, TimeSpan timeout, CancellationToken cancellationToken);

/// <summary>Resolves a host name to its addresses (the test seam for <see cref="PingReachability"/>).</summary>
internal delegate Task<IPAddress[]> HostResolver(string hostName, CancellationToken cancellationToken);

/// <summary>
/// HA-Lizard's IP heuristics over real ICMP: every configured address (an IP literal or a host name)
/// must answer an echo within <see cref="Timeout"/>. Each address gets <see cref="Attempts"/> tries so
/// one lost packet does not flip the verdict. Addresses are probed in parallel, so one call takes at
/// most about <c>Attempts × Timeout</c> (plus one <see cref="Timeout"/> for a name lookup). An address
/// that does not answer, does not resolve or is malformed is simply unreachable: the probe never throws
/// for it. Only the caller's cancellation ends a call with an exception.
/// </summary>
public sealed class PingReachability : IReachability
{
    /// <summary>Names under the reserved top-level domain "invalid" (RFC 6761) never resolve; they are not looked up.</summary>
    private const string ReservedInvalidDomain = "invalid";

    private readonly EchoSender send;
    private readonly HostResolver resolve;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly Dictionary<string, bool> lastByAddress = new(StringComparer.Ordinal);
    private bool? lastVerdict;

    public PingReachability(IEnumerable<string> addresses, TimeSpan timeout, int attempts, ILogger<PingReachability> logger)
        : this(addresses, timeout, attempts, logger, SendEchoAsync, ResolveIPv4Async)
    {
    }

    internal PingReachability(IEnumerable<string> addresses, TimeSpan timeout, int attempts, ILogger logger, EchoSender send, HostResolver resolve)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        Addresses = [.. addresses];
        Timeout = timeout;
        Attempts = attempts;
        this.logger = logger;
        this.send = send;
        this.resolve = resolve;
    }

    /// <summary>The heuristic addresses, as configured.</summary>
    public ImmutableArray<string> Addresses { get; }

    /// <summary>How long one echo (and one name lookup) may take.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Echoes per address before it counts as unreachable.</summary>
    public int Attempts { get; }

    /// <summary>A probe for <c>haven.heuristics</c>: its addresses, timeout and attempts.</summary>
    public static PingReachability From(HeuristicsSettings settings, ILogger<PingReachability> logger) =>
        new(settings.Addresses, settings.Timeout, settings.Attempts, logger);

    /// <summary>True when every address answered; false when any did not (or none is configured: nothing to vouch for the side).</summary>
    public async Task<bool> AllReachableAsync(CancellationToken cancellationToken)
    {
        if (Addresses.IsEmpty)
        {
            return false;
        }

        var results = await Task.WhenAll(Addresses.Select(a => ProbeAsync(a, cancellationToken))).ConfigureAwait(false);
        var verdict = results.All(r => r);
        Record(results, verdict);
        return verdict;
    }

    /// <summary>Whether one address answers, with the same attempts, timeout and never-throw rule.</summary>
    public async Task<bool> IsReachableAsync(string address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return await ProbeAsync(address, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> ProbeAsync(string address, CancellationToken cancellationToken)
    {
        var target = await TargetAsync(address, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            return false;
        }

        string failure = "no answer";
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                // The bound is ours, not only the echo's: a sender that ignores its timeout cannot hold the verdict.
                if (await send(target, Timeout, cancellationToken).WaitAsync(Timeout * 2, cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }

                failure = $"no answer within {Timeout.TotalMilliseconds:0} ms";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                failure = e is TimeoutException ? $"no answer within {Timeout.TotalMilliseconds:0} ms" : Describe(e);
            }
        }

        logger.LogDebug("Heuristic address {Address} ({Target}) did not answer {Attempts} echo attempts: {Failure}", address, target, Attempts, failure);
        return false;
    }

    private async Task<IPAddress?> TargetAsync(string address, CancellationToken cancellationToken)
    {
        var text = address.Trim();
        if (IPAddress.TryParse(text, out var literal))
        {
            return literal;
        }

        if (Uri.CheckHostName(text) != UriHostNameType.Dns)
        {
            logger.LogDebug("Heuristic address {Address} is neither an IP address nor a host name", address);
            return null;
        }

        var labels = text.TrimEnd('.').Split('.');
        if (string.Equals(labels[^1], ReservedInvalidDomain, StringComparison.OrdinalIgnoreCase))
        {
            logger.LogDebug("Heuristic address {Address} did not resolve: the domain \"invalid\" is reserved and never resolves", address);
            return null;
        }

        try
        {
            var found = await resolve(text, cancellationToken).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
            var first = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
            if (first is null)
            {
                logger.LogDebug("Heuristic address {Address} resolved to no address", address);
            }

            return first;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            var reason = e is TimeoutException ? $"name lookup took longer than {Timeout.TotalMilliseconds:0} ms" : Describe(e);
            logger.LogDebug("Heuristic address {Address} did not resolve: {Failure}", address, reason);
            return null;
        }
    }

    private void Record(bool[] results, bool verdict)
    {
        lock (gate)
        {
            for (var i = 0; i < Addresses.Length; i++)
            {
                if (!lastByAddress.TryGetValue(Addresses[i], out var before) || before != results[i])
                {
                    lastByAddress[Addresses[i]] = results[i];
                    logger.LogInformation("Heuristic address {Address} is now {Reachability}", Addresses[i], results[i] ? "reachable" : "unreachable");
                }
            }

            if (lastVerdict != verdict)
            {
                lastVerdict = verdict;
                var unreachable = Addresses.Where((_, i) => !results[i]).ToArray();
                logger.LogInformation("IP heuristics: {Reachable} of {Count} addresses reachable, verdict {Verdict}; unreachable: {Unreachable}",
                    results.Count(r => r), Addresses.Length, verdict ? "reachable" : "unreachable", unreachable.Length == 0 ? "none" : string.Join(", ", unreachable));
            }
        }
    }

    private static string Describe(Exception e) => e switch
    {
        SocketException s => $"{s.SocketErrorCode}: {s.Message}",
        PingException { InnerException: { } inner } => Describe(inner),
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static async Task<bool> SendEchoAsync(IPAddress address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var ping = new Ping();
        var reply = await ping.SendPingAsync(address, timeout, buffer: null, options: null, cancellationToken).ConfigureAwait(false);
        return reply.Status == IPStatus.Success;
    }

    private static Task<IPAddress[]> ResolveIPv4Async(string hostName, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(hostName, AddressFamily.InterNetwork, cancellationToken);
}
