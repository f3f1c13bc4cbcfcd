using System.Collections.Immutable;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>
/// The SNMPv3 side of <see cref="SnmpClient"/> (RFC 3412, RFC 3414): engine discovery on first use,
/// authenticated (and encrypted) requests, and the agent's Reports — an unknown engine id or a
/// notInTimeWindow report resynchronises and retries once; unknown user, wrong digest, decryption
/// errors and unsupported security levels end the request with a <see cref="SnmpUsmException"/>.
/// </summary>
public sealed partial class SnmpClient
{
    /// <summary>usmStats counters (RFC 3414 section 5), the OIDs an agent's USM Reports carry.</summary>
    public static readonly Oid UsmStats = Oid.Parse("1.3.6.1.6.3.15.1.1");

    /// <summary>The USM state (engine id, boots, time) of a v3 client; null for v1/v2c.</summary>
    internal UsmSession? Usm => usm;

    private enum ReportAction
    {
        Rediscover,
        Resynchronise,
    }

    private async Task<IReadOnlyList<VarBind>> UsmRequestAsync(UsmSession session, SnmpPduType type, ImmutableArray<VarBind> bindings, bool sameNames, CancellationToken cancellationToken)
    {
        if (!session.Discovered)
        {
            await DiscoverAsync(session, cancellationToken).ConfigureAwait(false);
        }

        var id = NextRequestId();
        var pdu = new SnmpPdu(type, id, 0, 0, bindings);
        var messageIds = new HashSet<int>();
        var resynchronised = false;
        string? lastProblem = null;
        for (var attempt = 1; attempt <= options.Retries + 1; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var messageId = NextRequestId();
            messageIds.Add(messageId);
            var datagram = session.Wrap(pdu, messageId);
            logger.LogDebug("SNMPv3 {Request} #{RequestId} (message {MessageId}) to {Endpoint}, attempt {Attempt}", type, id, messageId, Endpoint, attempt);
            try
            {
                await socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                lastProblem = $"send failed: {e.SocketErrorCode}";
                continue;
            }

            var (answer, problem) = await ReceiveAsync(received => MatchUsm(session, received.Span, messageIds, id), cancellationToken).ConfigureAwait(false);
            if (answer is null)
            {
                lastProblem = problem;
                continue;
            }

            if (answer.Pdu!.Type == SnmpPduType.Report)
            {
                var action = OnReport(session, answer, resynchronised);
                logger.LogDebug("SNMPv3 {Endpoint} reported {Action}; retrying once with engine boots {Boots}, time {Time}",
                    Endpoint, action, session.EngineBoots, session.EstimatedEngineTime);
                resynchronised = true;
                attempt--; // the resynchronised retry is not a lost attempt
                continue;
            }

            return Check(type, bindings, answer.Pdu, sameNames);
        }

        var timeout = new SnmpTimeoutException(Endpoint, type, options.Retries + 1, options.Timeout, lastProblem);
        if (session.SecurityFlags.HasFlag(SnmpV3Flags.Priv))
        {
            await DiagnoseSilenceAsync(session, bindings[0].Oid, timeout, cancellationToken).ConfigureAwait(false);
        }

        throw timeout;
    }

    /// <summary>
    /// An agent silently drops an authPriv request it decrypted with the wrong key (CFB yields garbage
    /// that fails to parse; no report is sent). One authenticated, unencrypted GET tells that case
    /// from a dead agent: any authentic answer means the auth key is right and the priv key is not.
    /// </summary>
    private async Task DiagnoseSilenceAsync(UsmSession session, Oid oid, SnmpTimeoutException timeout, CancellationToken cancellationToken)
    {
        var id = NextRequestId();
        var messageId = NextRequestId();
        try
        {
            await socket.SendAsync(session.Wrap(new SnmpPdu(SnmpPduType.GetRequest, id, 0, 0, [VarBind.Null(oid)]), messageId, authOnly: true),
                SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return;
        }

        var (answer, _) = await ReceiveAsync(received => MatchUsm(session, received.Span, new HashSet<int> { messageId }, id, allowPlaintext: true), cancellationToken).ConfigureAwait(false);
        if (answer is { Authenticated: true })
        {
            throw new SnmpUsmException(Endpoint, credentials!.UserName, UsmError.DecryptionError,
                $"the agent answers authenticated requests but ignores encrypted ones ({timeout.Message}): wrong priv password or priv protocol");
        }
    }

    /// <summary>RFC 3414 section 4: a noAuthNoPriv probe with an empty engine id; the Report carries the engine's id, boots and time.</summary>
    private async Task DiscoverAsync(UsmSession session, CancellationToken cancellationToken)
    {
        string? lastProblem = null;
        for (var attempt = 1; attempt <= options.Retries + 1; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var messageId = NextRequestId();
            var requestId = NextRequestId();
            logger.LogDebug("SNMPv3 engine discovery at {Endpoint}, attempt {Attempt}", Endpoint, attempt);
            try
            {
                await socket.SendAsync(UsmSession.DiscoveryRequest(messageId, requestId), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                lastProblem = $"send failed: {e.SocketErrorCode}";
                continue;
            }

            var (report, problem) = await ReceiveAsync(received => MatchUsm(session, received.Span, new HashSet<int> { messageId }, requestId), cancellationToken).ConfigureAwait(false);
            if (report is null)
            {
                lastProblem = problem;
                continue;
            }

            var security = report.Message!.Security;
            if (report.Pdu!.Type != SnmpPduType.Report || security.EngineId.IsEmpty)
            {
                lastProblem = $"the answer to the discovery probe was a {report.Pdu.Type} without an engine id";
                continue;
            }

            session.Synchronize(security.EngineId, security.EngineBoots, security.EngineTime);
            logger.LogDebug("SNMPv3 {Endpoint} is engine {EngineId}, boots {Boots}, time {Time}",
                Endpoint, Convert.ToHexString(security.EngineId), security.EngineBoots, security.EngineTime);
            return;
        }

        throw new SnmpTimeoutException(Endpoint, SnmpPduType.GetRequest, options.Retries + 1, options.Timeout,
            "engine discovery: " + (lastProblem ?? "no report"));
    }

    /// <summary>An answer to one of <paramref name="messageIds"/> (a Response to <paramref name="requestId"/> or a Report), or why the datagram was dropped.</summary>
    private (UsmInbound? Answer, string? Problem) MatchUsm(UsmSession session, ReadOnlySpan<byte> datagram, IReadOnlySet<int> messageIds, int requestId, bool allowPlaintext = false)
    {
        if (!SnmpV3Codec.IsV3(datagram))
        {
            return (null, "dropped a datagram that is not an SNMPv3 message");
        }

        var inbound = session.Unwrap(datagram, allowPlaintext);
        if (inbound.Kind == UsmInboundKind.Dropped)
        {
            return (null, inbound.Problem);
        }

        if (!messageIds.Contains(inbound.Message!.MessageId))
        {
            return (null, $"dropped an answer to message {inbound.Message.MessageId}");
        }

        if (inbound.Kind == UsmInboundKind.DecryptionFailed)
        {
            throw new SnmpUsmException(Endpoint, credentials!.UserName, UsmError.DecryptionError,
                $"an authentic answer could not be decrypted ({inbound.Problem}): wrong priv password or protocol?");
        }

        return inbound.Pdu!.Type switch
        {
            SnmpPduType.Report => (inbound, null),
            SnmpPduType.Response when inbound.Pdu.RequestId == requestId => (inbound, null),
            _ => (null, $"dropped a {inbound.Pdu.Type} #{inbound.Pdu.RequestId} while waiting for #{requestId}"),
        };
    }

    /// <summary>Acts on a Report: resynchronises for an unknown engine id or a notInTimeWindow (once), throws for everything else.</summary>
    private ReportAction OnReport(UsmSession session, UsmInbound report, bool resynchronised)
    {
        var user = credentials!.UserName;
        var oid = report.Pdu!.VarBinds.IsEmpty ? null : report.Pdu.VarBinds[0].Oid;
        var counter = oid is not null && oid.Length == UsmStats.Length + 2 && oid.StartsWith(UsmStats) && oid[^1] == 0 ? oid[UsmStats.Length] : 0u;
        var security = report.Message!.Security;
        switch (counter)
        {
            case 3:
                throw new SnmpUsmException(Endpoint, user, UsmError.UnknownUserName, "the agent does not know this user (usmStatsUnknownUserNames)");
            case 5:
                throw new SnmpUsmException(Endpoint, user, UsmError.WrongDigest, "the agent rejected the request's digest: wrong auth password or auth protocol (usmStatsWrongDigests)");
            case 6:
                throw new SnmpUsmException(Endpoint, user, UsmError.DecryptionError, "the agent could not decrypt the request: wrong priv password or priv protocol (usmStatsDecryptionErrors)");
            case 1:
                throw new SnmpUsmException(Endpoint, user, UsmError.UnsupportedSecurityLevel,
                    $"the agent refuses security level {session.SecurityFlags} for this user (usmStatsUnsupportedSecLevels)");
            case 4 when !resynchronised && !security.EngineId.IsEmpty:
                session.Synchronize(security.EngineId, security.EngineBoots, security.EngineTime);
                return ReportAction.Rediscover;
            case 4:
                throw new SnmpUsmException(Endpoint, user, UsmError.UnknownEngineId, "the agent still reports an unknown engine id after rediscovery (usmStatsUnknownEngineIDs)");
            case 2 when !resynchronised && report.Authenticated:
                session.Synchronize(security.EngineId, security.EngineBoots, security.EngineTime);
                return ReportAction.Resynchronise;
            case 2:
                throw new SnmpUsmException(Endpoint, user, UsmError.NotInTimeWindow, report.Authenticated
                    ? "still outside the agent's time window after one resynchronisation (usmStatsNotInTimeWindows)"
                    : "an unauthenticated notInTimeWindow report cannot be used to resynchronise (usmStatsNotInTimeWindows)");
            default:
                throw new SnmpUsmException(Endpoint, user, UsmError.OtherReport,
                    $"the agent answered with a Report ({string.Join(", ", report.Pdu.VarBinds)})");
        }
    }
}
