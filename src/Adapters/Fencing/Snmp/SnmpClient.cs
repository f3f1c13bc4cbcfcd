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
/// SNMP v1/v2c over UDP: GET, GETNEXT, SET and walk, one request in flight at a time. Responses are
/// matched by request id (anything else that arrives — late answers, garbage — is dropped); each
/// attempt has a timeout and is retried. The community is only ever put on the wire, never logged.
/// </summary>
public sealed class SnmpClient : IDisposable
{
    private readonly Socket socket;
    private readonly byte[] community;
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

                var (response, problem) = await ReceiveAsync(id, cancellationToken).ConfigureAwait(false);
                if (response is null)
                {
                    lastProblem = problem;
                    continue;
                }

                return Check(type, bindings, response, sameNames);
            }

            throw new SnmpTimeoutException(Endpoint, type, options.Retries + 1, options.Timeout, lastProblem);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Waits one timeout for the response with <paramref name="id"/>; returns why not when none came.</summary>
    private async Task<(SnmpPdu? Response, string? Problem)> ReceiveAsync(int id, CancellationToken cancellationToken)
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

            SnmpMessage message;
            try
            {
                message = SnmpCodec.Decode(receiveBuffer.AsSpan(0, received));
            }
            catch (SnmpDecodeException e)
            {
                problem = $"dropped a malformed datagram: {e.Reason}";
                logger.LogDebug("SNMP {Endpoint} sent a malformed datagram: {Reason}", Endpoint, e.Message);
                continue;
            }

            if (message.Pdu.RequestId != id || message.Version != Version)
            {
                problem = $"dropped an answer to request #{message.Pdu.RequestId}";
                logger.LogDebug("SNMP {Endpoint} answered #{Other} while waiting for #{RequestId}; dropped", Endpoint, message.Pdu.RequestId, id);
                continue;
            }

            if (message.Pdu.Type == SnmpPduType.Report)
            {
                throw new SnmpClientException($"{Endpoint} answered request #{id} with a Report ({string.Join(", ", message.Pdu.VarBinds)})");
            }

            if (message.Pdu.Type != SnmpPduType.Response)
            {
                problem = $"dropped a {message.Pdu.Type} carrying request #{id}";
                continue;
            }

            return (message.Pdu, null);
        }
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
