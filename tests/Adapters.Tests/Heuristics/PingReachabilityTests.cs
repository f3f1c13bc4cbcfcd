using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Haven.Actors.Configuration;
using Haven.Adapters.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Heuristics;

/// <summary>The probe's rules (attempts, bounds, never throwing, logging) with a scripted echo and resolver.</summary>
public sealed class PingReachabilityTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);
    private readonly RecordingLogger<PingReachability> logger = new();
    private readonly ConcurrentQueue<IPAddress> sent = new();

    private PingReachability Probe(string[] addresses, Func<IPAddress, int, Task<bool>> answer, int attempts = 2, int timeoutMs = 100, HostResolver? resolve = null)
    {
        var counts = new ConcurrentDictionary<IPAddress, int>();
        return new PingReachability(addresses, TimeSpan.FromMilliseconds(timeoutMs), attempts, logger,
            (address, _, _) =>
            {
                sent.Enqueue(address);
                return answer(address, counts.AddOrUpdate(address, 1, (_, n) => n + 1));
            },
            resolve ?? ((name, _) => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound))));
    }

    [Fact]
    public async Task FirstEchoLost_SecondAnswered_IsReachable()
    {
        var probe = Probe(["192.0.2.7"], (_, attempt) => Task.FromResult(attempt == 2));
        Assert.True(await probe.AllReachableAsync(CancellationToken.None));
        Assert.Equal(2, sent.Count);
    }

    [Fact]
    public async Task FirstEchoLost_OneAttemptOnly_IsUnreachable()
    {
        var probe = Probe(["192.0.2.7"], (_, attempt) => Task.FromResult(attempt == 2), attempts: 1);
        Assert.False(await probe.AllReachableAsync(CancellationToken.None));
        Assert.Single(sent);
    }

    [Fact]
    public async Task EveryAddressMustAnswer()
    {
        var probe = Probe(["192.0.2.7", "192.0.2.8"], (a, _) => Task.FromResult(a.Equals(IPAddress.Parse("192.0.2.7"))), attempts: 3);
        Assert.False(await probe.AllReachableAsync(CancellationToken.None));
        Assert.Equal(3, sent.Count(a => a.Equals(IPAddress.Parse("192.0.2.8"))));
        Assert.Equal(1, sent.Count(a => a.Equals(IPAddress.Parse("192.0.2.7"))));
        var debug = Assert.Single(logger.At(LogLevel.Debug));
        Assert.StartsWith("Heuristic address 192.0.2.8 (192.0.2.8) did not answer 3 echo attempts", debug, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EchoThatNeverCompletes_IsCutOffByTheProbe()
    {
        var never = new TaskCompletionSource<bool>();
        var probe = Probe(["192.0.2.7"], (_, _) => never.Task, attempts: 2, timeoutMs: 100);
        // The echo never completes: that the probe answers at all (well within the safety bound) is the cut-off.
        Assert.False(await probe.AllReachableAsync(CancellationToken.None).WaitAsync(Safety));
        Assert.Equal(2, sent.Count);
    }

    [Fact]
    public async Task EchoThatThrows_IsUnreachable_NotAnException()
    {
        var probe = Probe(["192.0.2.7"], (_, _) => Task.FromException<bool>(new SocketException((int)SocketError.NetworkUnreachable)));
        Assert.False(await probe.AllReachableAsync(CancellationToken.None));
        Assert.Contains("NetworkUnreachable", Assert.Single(logger.At(LogLevel.Debug)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostNameThatDoesNotResolve_IsUnreachable_AndNothingIsSent()
    {
        var probe = Probe(["gw.example.test"], (_, _) => Task.FromResult(true));
        Assert.False(await probe.AllReachableAsync(CancellationToken.None));
        Assert.Empty(sent);
        Assert.StartsWith("Heuristic address gw.example.test did not resolve: HostNotFound", Assert.Single(logger.At(LogLevel.Debug)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostNameLookupThatHangs_IsBoundedByTheTimeout()
    {
        var never = new TaskCompletionSource<IPAddress[]>();
        var probe = Probe(["gw.example.test"], (_, _) => Task.FromResult(true), timeoutMs: 100, resolve: (_, _) => never.Task);
        // The lookup never completes: the answer and the log line are the timeout at work (no wall-clock bound: machines are slow).
        Assert.False(await probe.AllReachableAsync(CancellationToken.None).WaitAsync(Safety));
        Assert.Contains("name lookup took longer than 100 ms", Assert.Single(logger.At(LogLevel.Debug)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostName_IsPingedAtItsIPv4Address()
    {
        var probe = Probe(["gw.example.test"], (_, _) => Task.FromResult(true),
            resolve: (_, _) => Task.FromResult(new[] { IPAddress.Parse("2001:db8::1"), IPAddress.Parse("192.0.2.9") }));
        Assert.True(await probe.AllReachableAsync(CancellationToken.None));
        Assert.Equal(IPAddress.Parse("192.0.2.9"), Assert.Single(sent));
    }

    [Theory]
    [InlineData("not a host!")]
    [InlineData("")]
    [InlineData("nowhere.invalid")]
    public async Task MalformedOrReservedName_IsUnreachable_WithoutLookupOrEcho(string address)
    {
        var resolved = false;
        var probe = Probe([address], (_, _) => Task.FromResult(true), resolve: (_, _) => { resolved = true; return Task.FromResult(new[] { IPAddress.Loopback }); });
        Assert.False(await probe.AllReachableAsync(CancellationToken.None));
        Assert.False(resolved);
        Assert.Empty(sent);
    }

    [Fact]
    public async Task NoAddresses_IsNotReachable()
    {
        Assert.False(await Probe([], (_, _) => Task.FromResult(true)).AllReachableAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Changes_AreLoggedAtInformationOnce()
    {
        var up = true;
        var probe = Probe(["192.0.2.7"], (_, _) => Task.FromResult(up), attempts: 1);
        await probe.AllReachableAsync(CancellationToken.None);
        await probe.AllReachableAsync(CancellationToken.None);
        up = false;
        await probe.AllReachableAsync(CancellationToken.None);
        await probe.AllReachableAsync(CancellationToken.None);
        Assert.Equal(
            [
                "Heuristic address 192.0.2.7 is now reachable",
                "IP heuristics: 1 of 1 addresses reachable, verdict reachable; unreachable: none",
                "Heuristic address 192.0.2.7 is now unreachable",
                "IP heuristics: 0 of 1 addresses reachable, verdict unreachable; unreachable: 192.0.2.7",
            ],
            logger.At(LogLevel.Information).ToArray());
    }

    [Fact]
    public async Task CallerCancellation_Throws()
    {
        using var cancel = new CancellationTokenSource();
        var never = new TaskCompletionSource<bool>();
        var probe = Probe(["192.0.2.7"], (_, _) => never.Task, timeoutMs: 5000);
        var call = probe.AllReachableAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Safety));
    }

    [Fact]
    public void From_TakesAddressesTimeoutAndAttemptsFromTheSettings()
    {
        var settings = new HeuristicsSettings(true, ["192.0.2.1", "gw"], TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(750)) { Attempts = 3 };
        var probe = PingReachability.From(settings, logger);
        Assert.Equal(["192.0.2.1", "gw"], probe.Addresses.ToArray());
        Assert.Equal((TimeSpan.FromMilliseconds(750), 3), (probe.Timeout, probe.Attempts));
    }

    [Fact]
    public void Constructor_RejectsZeroAttemptsAndNonPositiveTimeout()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PingReachability(["127.0.0.1"], TimeSpan.FromSeconds(1), 0, logger));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PingReachability(["127.0.0.1"], TimeSpan.Zero, 2, logger));
    }
}
