using System.Diagnostics;
using Haven.Adapters.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Heuristics;

/// <summary>
/// Real ICMP echoes. Traffic goes only to loopback or to an address inside a namespace the test creates
/// (and removes) itself; <see cref="NetworkNamespace"/> checks the route before anything is sent.
/// </summary>
public sealed class PingReachabilityIcmpTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);

    /// <summary>
    /// For addresses that answer: an answer ends the wait at once, so the timeout only has to be longer
    /// than anything a loaded machine takes (a name lookup, a late echo) to keep "reachable" certain.
    /// </summary>
    private const int Answers = 5000;

    private static PingReachability Probe(string[] addresses, RecordingLogger<PingReachability> logger, int timeoutMs = 300, int attempts = 2) =>
        new(addresses, TimeSpan.FromMilliseconds(timeoutMs), attempts, logger);

    [Fact]
    public async Task AllReachable_Loopback_IsTrue()
    {
        var logger = new RecordingLogger<PingReachability>();
        Assert.True(await Probe(["127.0.0.1"], logger, Answers).AllReachableAsync(CancellationToken.None).WaitAsync(Safety));
        Assert.Contains("Heuristic address 127.0.0.1 is now reachable", logger.At(LogLevel.Information));
        Assert.Empty(logger.At(LogLevel.Debug));
    }

    [Fact]
    public async Task AllReachable_HostNameFromHostsFile_IsResolvedAndPinged()
    {
        // "localhost" is in /etc/hosts (nsswitch: files first), so no name server is asked.
        Assert.True(await Probe(["localhost"], new(), Answers).AllReachableAsync(CancellationToken.None).WaitAsync(Safety));
    }

    [Fact]
    public async Task AllReachable_AddressOnlyInsideNamespaceWithLinkDown_IsFalseAndLogsTheAddress()
    {
        using var ns = NetworkNamespace.CreateWithDownLink();
        var logger = new RecordingLogger<PingReachability>();
        var address = ns.Address.ToString();
        Assert.False(await Probe([address], logger).AllReachableAsync(CancellationToken.None).WaitAsync(Safety));
        Assert.Equal($"Heuristic address {address} ({address}) did not answer 2 echo attempts: no answer within 300 ms", Assert.Single(logger.At(LogLevel.Debug)));
        Assert.Contains($"Heuristic address {address} is now unreachable", logger.At(LogLevel.Information));
    }

    [Fact]
    public async Task AllReachable_LoopbackAndUnreachable_IsFalseAndNamesOnlyTheFailedAddress()
    {
        using var ns = NetworkNamespace.CreateWithDownLink();
        var logger = new RecordingLogger<PingReachability>();
        var address = ns.Address.ToString();
        // Loopback must answer within the timeout on a loaded machine too; the unreachable address waits it out twice.
        Assert.False(await Probe(["127.0.0.1", address], logger, timeoutMs: 1000).AllReachableAsync(CancellationToken.None).WaitAsync(Safety));
        var debug = Assert.Single(logger.At(LogLevel.Debug));
        Assert.Contains(address, debug, StringComparison.Ordinal);
        Assert.Contains($"IP heuristics: 1 of 2 addresses reachable, verdict unreachable; unreachable: {address}", logger.At(LogLevel.Information));
    }

    [Fact]
    public async Task AllReachable_Unreachable_IsBoundedByAttemptsTimesTimeout()
    {
        using var ns = NetworkNamespace.CreateWithDownLink();
        var probe = Probe([ns.Address.ToString()], new(), timeoutMs: 200, attempts: 2);
        var clock = Stopwatch.StartNew();
        Assert.False(await probe.AllReachableAsync(CancellationToken.None).WaitAsync(Safety));
        clock.Stop();
        // 2 attempts × 200 ms, each cut off by the probe itself at 2 × timeout at the latest; 1 s of slack for a busy machine.
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(2 * 400 + 5000), $"took {clock.Elapsed}"); // bounded by the timeout, with room for a loaded machine
        // ...and both attempts did wait for their answer (nothing answers, nothing fails fast).
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(350), $"took only {clock.Elapsed}");
    }

    [Fact]
    public async Task AllReachable_HostNameThatCannotResolve_IsFalseWithoutThrowing()
    {
        var logger = new RecordingLogger<PingReachability>();
        // The reserved domain "invalid" (RFC 6761) never resolves; the probe does not even ask a name server.
        Assert.False(await Probe(["hvt-nowhere.invalid", "127.0.0.1"], logger).AllReachableAsync(CancellationToken.None).WaitAsync(Safety));
        Assert.Contains(logger.At(LogLevel.Debug), m => m.StartsWith("Heuristic address hvt-nowhere.invalid did not resolve", StringComparison.Ordinal));
    }

    [Fact]
    public void NetworkNamespace_Dispose_RemovesTheNamespaceAndTheLink()
    {
        string name;
        using (var ns = NetworkNamespace.CreateWithDownLink())
        {
            name = ns.Name;
            Assert.True(NetworkNamespace.Exists(name));
        }

        Assert.False(NetworkNamespace.Exists(name));
    }
}
