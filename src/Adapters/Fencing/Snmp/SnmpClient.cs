using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>Timeouts and retries of an <see cref="SnmpClient"/>.</summary>
public sealed record SnmpClientOptions
{
    /// <summary>How long to wait for the answer to one attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts after the first when no answer arrives (the same request id is resent).</summary>
    public int Retries { get; init; } = 2;

    /// <summary>A walk stops with an error after this many GETNEXT steps (a looping agent).</summary>
    public int MaxWalkSteps { get; init; } = 10_000;
}

/// <summary>
/// SNMP over UDP: GET, GETNEXT, SET and walk, one request in flight at a time, with a community
/// (v1/v2c) or as an SNMPv3 USM user (see SnmpClient.Usm.cs). Responses are matched by request id
/// (anything else that arrives — late answers, garbage — is dropped); each attempt has a timeout and
/// is retried. The community and passwords are only ever used on the wire, never logged.
/// </summary>
public sealed partial class SnmpClient : IDisposable
{
    private readonly Socket socket;
    private readonly byte[] community;
    private readonly UsmSession? usm;
    private readonly SnmpUsmCredentials? credentials;
    private readonly SnmpClientOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly byte[] receiveBuffer = new byte[SnmpCodec.MaxMessageSize];
    private int requestId;

    public SnmpClient(IPEndPoint endpoint, SnmpVersion version, string community, SnmpClientOptions? options = null, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(community);
        if (version is not (SnmpVersion.V1 or SnmpVersion.V2c))
        {
            throw new ArgumentException($"a community client speaks v1 or v2c; use the {nameof(SnmpUsmCredentials)} constructor for v3", nameof(version));
        }

        Endpoint = endpoint;
        Version = version;
        this.community = System.Text.Encoding.UTF8.GetBytes(community);
        this.options = options ?? new SnmpClientOptions();
        if (this.options.Timeout <= TimeSpan.Zero || this.options.Retries < 0)
        {
            throw new ArgumentException("SNMP timeout must be positive and retries not negative", nameof(options));
        }

        this.logger = logger ?? NullLogger.Instance;
        this.time = time ?? TimeProvider.System;
        socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(endpoint);
        requestId = Random.Shared.Next(1, int.MaxValue / 2);
    }

    /// <summary>An SNMPv3 client for one USM user (authNoPriv or authPriv); the engine is discovered on the first request.</summary>
    public SnmpClient(IPEndPoint endpoint, SnmpUsmCredentials credentials, SnmpClientOptions? options = null, ILogger? logger = null, TimeProvider? time = null)
        : this(endpoint, SnmpVersion.V2c, "", options, logger, time)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        Version = SnmpVersion.V3;
        this.credentials = credentials;
        usm = new UsmSession(credentials, this.time);
    }

    public IPEndPoint Endpoint { get; }

    public SnmpVersion Version { get; }

    public async Task<VarBind> GetAsync(Oid oid, CancellationToken cancellationToken) =>
        (await GetAsync([oid], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>GET; v2c exception values (noSuchObject, noSuchInstance) come back as values, v1's noSuchName as an error.</summary>
    public Task<IReadOnlyList<VarBind>> GetAsync(IReadOnlyList<Oid> oids, CancellationToken cancellationToken) =>
        RequestAsync(SnmpPduType.GetRequest, [.. oids.Select(VarBind.Null)], sameNames: true, cancellationToken);

    public Task<IReadOnlyList<VarBind>> GetNextAsync(IReadOnlyList<Oid> oids, CancellationToken cancellationToken) =>
        RequestAsync(SnmpPduType.GetNextRequest, [.. oids.Select(VarBind.Null)], sameNames: false, cancellationToken);

    public Task<IReadOnlyList<VarBind>> SetAsync(IReadOnlyList<VarBind> bindings, CancellationToken cancellationToken) =>
        RequestAsync(SnmpPduType.SetRequest, [.. bindings], sameNames: true, cancellationToken);

    /// <summary>Every binding under <paramref name="root"/>, in order, by GETNEXT.</summary>
    public async Task<IReadOnlyList<VarBind>> WalkAsync(Oid root, CancellationToken cancellationToken)
    {
        var result = new List<VarBind>();
        var current = root;
        for (var step = 0; step < options.MaxWalkSteps; step++)
        {
            VarBind next;
            try
            {
                next = (await GetNextAsync([current], cancellationToken).ConfigureAwait(false))[0];
            }
            catch (SnmpErrorResponseException e) when (Version == SnmpVersion.V1 && e.Status == SnmpErrorStatus.NoSuchName)
            {
                return result; // v1's end of the MIB
            }

            if (next.Value is SnmpException || !next.Oid.StartsWith(root) || next.Oid == root)
            {
                return result;
            }

            if (next.Oid.CompareTo(current) <= 0)
            {
                throw new SnmpClientException($"{Endpoint} returned {next.Oid} after {current} while walking {root}: not increasing");
            }

            result.Add(next);
            current = next.Oid;
        }

        throw new SnmpClientException($"walking {root} on {Endpoint} did not end within {options.MaxWalkSteps} steps");
    }

    public void Dispose()
    {
        socket.Dispose();
        gate.Dispose();
    }

    private async Task<IReadOnlyList<VarBind>> RequestAsync(SnmpPduType type, ImmutableArray<VarBind> bindings, bool sameNames, CancellationToken cancellationToken)
    {
        if (bindings.IsEmpty)
        {
            throw new ArgumentException("a request needs at least one binding", nameof(bindings));
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return usm is null
                ? await CommunityRequestAsync(type, bindings, sameNames, cancellationToken).ConfigureAwait(false)
                : await UsmRequestAsync(usm, type, bindings, sameNames, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<IReadOnlyList<VarBind>> CommunityRequestAsync(SnmpPduType type, ImmutableArray<VarBind> bindings, bool sameNames, CancellationToken cancellationToken)
    {
        var id = NextRequestId();
        var request = new SnmpMessage(Version, community, new SnmpPdu(type, id, 0, 0, bindings));
        var datagram = SnmpCodec.Encode(request);
        string? lastProblem = null;
        for (var attempt = 1; attempt <= options.Retries + 1; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            logger.LogDebug("SNMP {Request} #{RequestId} to {Endpoint}, attempt {Attempt}", type, id, Endpoint, attempt);
            try
            {
                await socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                lastProblem = $"send failed: {e.SocketErrorCode}";
                continue;
            }

            var (response, problem) = await ReceiveAsync(received => MatchCommunity(received.Span, id), cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                lastProblem = problem;
                continue;
            }

            return Check(type, bindings, response, sameNames);
        }

        throw new SnmpTimeoutException(Endpoint, type, options.Retries + 1, options.Timeout, lastProblem);
    }

    /// <summary>
    /// Waits one timeout for a datagram that <paramref name="match"/> accepts (a non-null result);
    /// returns why not when none came. What <paramref name="match"/> throws ends the request.
    /// </summary>
    private async Task<(T? Result, string? Problem)> ReceiveAsync<T>(Func<ReadOnlyMemory<byte>, (T? Result, string? Problem)> match, CancellationToken cancellationToken)
        where T : class
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), attempt, options.Timeout, Timeout.InfiniteTimeSpan);
        string? problem = null;
        while (true)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(receiveBuffer, SocketFlags.None, attempt.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (null, problem ?? "timed out");
            }
            catch (SocketException e)
            {
                // ICMP port unreachable shows up as ConnectionRefused on a connected UDP socket.
                return (null, $"receive failed: {e.SocketErrorCode}");
            }

            var (result, dropped) = match(receiveBuffer.AsMemory(0, received));
            if (result is not null)
            {
                return (result, null);
            }

            problem = dropped;
            logger.LogDebug("SNMP {Endpoint}: {Problem}", Endpoint, dropped);
        }
    }

    /// <summary>A v1/v2c response to request <paramref name="id"/>, or why the datagram was dropped.</summary>
    private (SnmpPdu? Response, string? Problem) MatchCommunity(ReadOnlySpan<byte> datagram, int id)
    {
        SnmpMessage message;
        try
        {
            message = SnmpCodec.Decode(datagram);
        }
        catch (SnmpDecodeException e)
        {
            return (null, $"dropped a malformed datagram: {e.Reason}");
        }

        if (message.Pdu.RequestId != id || message.Version != Version)
        {
            return (null, $"dropped an answer to request #{message.Pdu.RequestId} while waiting for #{id}");
        }

        if (message.Pdu.Type == SnmpPduType.Report)
        {
            throw new SnmpClientException($"{Endpoint} answered request #{id} with a Report ({string.Join(", ", message.Pdu.VarBinds)})");
        }

        return message.Pdu.Type == SnmpPduType.Response
            ? (message.Pdu, null)
            : (null, $"dropped a {message.Pdu.Type} carrying request #{id}");
    }

    private IReadOnlyList<VarBind> Check(SnmpPduType type, ImmutableArray<VarBind> request, SnmpPdu response, bool sameNames)
    {
        if (response.Error != SnmpErrorStatus.NoError)
        {
            var index = response.ErrorIndex;
            var oid = index >= 1 && index <= request.Length ? request[index - 1].Oid : null;
            throw new SnmpErrorResponseException(Endpoint, type, response.Error, index, oid);
        }

        if (response.VarBinds.Length != request.Length)
        {
            throw new SnmpClientException($"{Endpoint} answered {type} with {response.VarBinds.Length} bindings for {request.Length} requested");
        }

        if (sameNames)
        {
            for (var i = 0; i < request.Length; i++)
            {
                if (response.VarBinds[i].Oid != request[i].Oid)
                {
                    throw new SnmpClientException($"{Endpoint} answered {type} for {request[i].Oid} with {response.VarBinds[i].Oid}");
                }
            }
        }

        return response.VarBinds;
    }

    private int NextRequestId()
    {
        var id = Interlocked.Increment(ref requestId);
        if (id >= int.MaxValue - 1)
        {
            Interlocked.Exchange(ref requestId, 1);
        }

        return id;
    }
}
