using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Haven.Adapters.Fencing.Snmp;
using Haven.Adapters.Tests.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>Request matching, retries and timeouts, against a scripted agent on a loopback socket.</summary>
public sealed class SnmpClientTests : IDisposable
{
    private const string Community = "top-secret-community";
    private static readonly Oid Name = Oid.Parse(".1.3.6.1.2.1.1.5.0");
    private readonly ScriptedAgent agent = new();

    public void Dispose() => agent.Dispose();

    [Fact]
    public async Task Get_StaleAndGarbageDatagramsFirst_ReturnsTheMatchingResponse()
    {
        agent.Respond = (request, _) =>
        [
            [0x30, 0x03, 0x02, 0x01],                                                 // garbage
            Response(request, request.Pdu.RequestId - 1, new SnmpOctetString("stale")), // an older request's answer
            Response(request, request.Pdu.RequestId, new SnmpOctetString("current")),
        ];
        using var client = Client();
        var answer = await client.GetAsync(Name, CancellationToken.None);
        Assert.Equal("current", ((SnmpOctetString)answer.Value).Text);
    }

    [Fact]
    public async Task Get_FirstRequestLost_RetriesWithTheSameRequestId()
    {
        agent.Respond = (request, attempt) => attempt == 1 ? [] : [Response(request, request.Pdu.RequestId, new SnmpInteger(5))];
        using var client = Client(retries: 4, timeout: TimeSpan.FromSeconds(1));
        var answer = await client.GetAsync(Name, CancellationToken.None);
        Assert.Equal(new SnmpInteger(5), answer.Value);
        Assert.InRange(agent.Requests.Count, 2, 5); // more than 2 only when an answer took longer than the timeout (a loaded machine)
        Assert.Single(agent.Requests.Select(r => r.Pdu.RequestId).Distinct());
    }

    [Fact]
    public async Task Get_NoAnswer_TimesOutAfterRetriesAndNeverLogsTheCommunity()
    {
        agent.Respond = (_, _) => [];
        var logger = new RecordingLogger<SnmpClient>();
        using var client = Client(retries: 2, timeout: TimeSpan.FromMilliseconds(200), logger: logger);
        var error = await Assert.ThrowsAsync<SnmpTimeoutException>(() => client.GetAsync(Name, CancellationToken.None));
        Assert.Equal(3, error.Attempts);
        await agent.WaitForRequestsAsync(3); // the last datagram was sent; the agent may not have read it yet
        Assert.Equal(3, agent.Requests.Count);
        Assert.NotEmpty(logger.Entries);
        Assert.All(logger.Entries, e => Assert.DoesNotContain(Community, e.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(Community, error.Message, StringComparison.Ordinal);
        Assert.Equal(Community, System.Text.Encoding.UTF8.GetString(agent.Requests[0].Community));
    }

    [Fact]
    public async Task Requests_InSequence_UseDistinctRequestIds()
    {
        agent.Respond = (request, _) => [Response(request, request.Pdu.RequestId, new SnmpInteger(1))];
        using var client = Client();
        await client.GetAsync(Name, CancellationToken.None);
        var first = agent.Requests.Count;
        await client.GetAsync(Name, CancellationToken.None);
        var firstIds = agent.Requests.Take(first).Select(r => r.Pdu.RequestId).ToHashSet();
        Assert.Single(firstIds);
        Assert.DoesNotContain(agent.Requests[first].Pdu.RequestId, firstIds);
    }

    [Fact]
    public async Task Get_ResponseForAnotherOid_IsAnError()
    {
        agent.Respond = (request, _) =>
        [
            SnmpCodec.Encode(new SnmpMessage(request.Version, request.Community, request.Pdu with
            {
                Type = SnmpPduType.Response,
                VarBinds = [new VarBind(Oid.Parse("1.3.6.1.2.1.1.6.0"), new SnmpInteger(1))],
            })),
        ];
        using var client = Client();
        var error = await Assert.ThrowsAsync<SnmpClientException>(() => client.GetAsync(Name, CancellationToken.None));
        Assert.Contains("answered GetRequest for .1.3.6.1.2.1.1.5.0 with .1.3.6.1.2.1.1.6.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Walk_AgentGoingBackwards_StopsWithAnError()
    {
        var root = Oid.Parse("1.3.6.1.4.1.99");
        agent.Respond = (request, _) => [Response(request, request.Pdu.RequestId, new SnmpInteger(1), root.Append(1))];
        using var client = Client();
        var error = await Assert.ThrowsAsync<SnmpClientException>(() => client.WalkAsync(root, CancellationToken.None));
        Assert.Contains("not increasing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Cancelled_StopsWaiting()
    {
        agent.Respond = (_, _) => [];
        using var client = Client(retries: 0, timeout: TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource();
        var pending = client.GetAsync(Name, cancel.Token);
        await agent.FirstRequest.WaitAsync(TimeSpan.FromSeconds(10));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private SnmpClient Client(int retries = 1, TimeSpan? timeout = null, ILogger? logger = null) =>
        new(agent.Endpoint, SnmpVersion.V2c, Community,
            new SnmpClientOptions { Timeout = timeout ?? TimeSpan.FromSeconds(5), Retries = retries }, logger);

    private static byte[] Response(SnmpMessage request, int requestId, SnmpValue value, Oid? oid = null) =>
        SnmpCodec.Encode(new SnmpMessage(request.Version, request.Community, new SnmpPdu(SnmpPduType.Response, requestId, 0, 0,
            [new VarBind(oid ?? request.Pdu.VarBinds[0].Oid, value)])));

    /// <summary>A UDP agent on loopback that answers each request with whatever <see cref="Respond"/> returns.</summary>
    private sealed class ScriptedAgent : IDisposable
    {
        private readonly UdpClient socket = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource stop = new();
        private readonly ConcurrentQueue<SnmpMessage> requests = new();
        private readonly TaskCompletionSource first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SemaphoreSlim received = new(0);
        private readonly Task loop;

        public ScriptedAgent() => loop = Task.Run(RunAsync);

        public Func<SnmpMessage, int, byte[][]> Respond { get; set; } = (_, _) => [];

        public IPEndPoint Endpoint => (IPEndPoint)socket.Client.LocalEndPoint!;

        public IReadOnlyList<SnmpMessage> Requests => [.. requests];

        public Task FirstRequest => first.Task;

        /// <summary>Returns once <paramref name="count"/> requests arrived in all (at most 10 s; call once).</summary>
        public async Task WaitForRequestsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.True(await received.WaitAsync(TimeSpan.FromSeconds(10)), $"the agent received only {i} of {count} requests");
            }
        }

        public void Dispose()
        {
            stop.Cancel();
            socket.Dispose();
            try
            {
                loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // the loop ends by cancellation
            }

            stop.Dispose();
            received.Dispose();
        }

        private async Task RunAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var datagram = await socket.ReceiveAsync(stop.Token);
                var request = SnmpCodec.Decode(datagram.Buffer);
                requests.Enqueue(request);
                received.Release();
                first.TrySetResult();
                foreach (var reply in Respond(request, requests.Count))
                {
                    await socket.SendAsync(reply, datagram.RemoteEndPoint, stop.Token);
                }
            }
        }
    }
}
