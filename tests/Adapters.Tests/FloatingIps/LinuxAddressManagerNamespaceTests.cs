using System.Diagnostics;
using Haven.Actors.Cluster;
using Haven.Adapters.FloatingIps;
using Haven.Adapters.Tests.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.FloatingIps;

/// <summary>The manager against the real ip, arping and ss, inside network namespaces each test creates itself.</summary>
public sealed class LinuxAddressManagerNamespaceTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly NamespacePair net = new();
    private readonly RecordingLogger<LinuxAddressManager> log = new();
    private readonly LinuxAddressManager manager;

    public LinuxAddressManagerNamespaceTests()
    {
        manager = new LinuxAddressManager(log, commandPrefix: net.HostPrefix);
    }

    public void Dispose() => net.Dispose();

    private static PublicAddress Floating(string ip = "10.214.0.50") => new(ip, 24, NamespacePair.HostInterface);

    private async Task<IEnumerable<string>> HeldIpsAsync() =>
        (await manager.HeldOnAsync(NamespacePair.HostInterface, CancellationToken.None)).Select(a => a.Ip);

    [Fact]
    public async Task HeldOnAsync_FreshInterface_ListsOnlyTheBaseAddress()
    {
        var held = await manager.HeldOnAsync(NamespacePair.HostInterface, CancellationToken.None);

        Assert.Equal([new PublicAddress(NamespacePair.HostBase, 24, NamespacePair.HostInterface)], held);
    }

    [Fact]
    public async Task TakeAsync_FreeAddress_AnswersPingFromPeer()
    {
        Assert.NotEqual(0, net.InPeer("ping", "-c1", "-W1", "10.214.0.50"));

        await manager.TakeAsync(Floating(), probe: true, CancellationToken.None).WaitAsync(Bound);

        Assert.Contains("10.214.0.50", await HeldIpsAsync());
        Assert.Equal(0, net.InPeer("ping", "-c1", "-W5", "10.214.0.50")); // an answer ends the wait: 5 s only matters on a loaded machine
        Assert.Contains("Took floating address 10.214.0.50/24 on hv0", log.At(LogLevel.Information));
        Assert.Empty(log.At(LogLevel.Warning)); // the gratuitous ARP went out too
    }

    [Fact]
    public async Task TakeAsync_PeerHasStaleNeighbourEntry_GratuitousArpUpdatesIt()
    {
        NamespacePair.Run("ip", "-n", net.Peer, "neigh", "add", "10.214.0.50", "lladdr", "02:00:00:00:00:01", "dev", NamespacePair.PeerInterface, "nud", "stale");
        var hostLink = NamespacePair.Run("ip", "-n", net.Host, "-o", "link", "show", NamespacePair.HostInterface).Split(' ');
        var hostMac = hostLink[Array.IndexOf(hostLink, "link/ether") + 1];

        await manager.TakeAsync(Floating(), probe: true, CancellationToken.None).WaitAsync(Bound);

        // No traffic from the peer in between: only the gratuitous ARP can have replaced the stale MAC.
        var entry = NamespacePair.Run("ip", "-n", net.Peer, "neigh", "show", "10.214.0.50", "dev", NamespacePair.PeerInterface);
        Assert.Contains(hostMac, entry);
        Assert.DoesNotContain("02:00:00:00:00:01", entry);
    }

    [Fact]
    public async Task TakeAsync_Twice_IsIdempotent()
    {
        await manager.TakeAsync(Floating(), probe: true, CancellationToken.None).WaitAsync(Bound);
        await manager.TakeAsync(Floating(), probe: true, CancellationToken.None).WaitAsync(Bound);

        Assert.Single(await HeldIpsAsync(), ip => ip == "10.214.0.50");
        Assert.Equal(0, net.InPeer("ping", "-c1", "-W5", "10.214.0.50")); // an answer ends the wait: 5 s only matters on a loaded machine
    }

    [Fact]
    public async Task TakeAsync_PeerAlreadyHoldsAddress_ThrowsAddressInUseAndAddsNothing()
    {
        NamespacePair.Run("ip", "-n", net.Peer, "addr", "add", "10.214.0.60/24", "dev", NamespacePair.PeerInterface);

        var error = await Assert.ThrowsAsync<AddressInUseException>(() => manager.TakeAsync(Floating("10.214.0.60"), probe: true, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("10.214.0.60", error.Message);
        Assert.Contains(log.At(LogLevel.Warning), m => m.Contains("10.214.0.60 is in use on hv0"));
        Assert.Contains(NamespacePair.HostInterface, error.Message);
        Assert.Equal(Floating("10.214.0.60"), error.Address);
        Assert.DoesNotContain("10.214.0.60", await HeldIpsAsync());
    }

    [Fact]
    public async Task TakeAsync_NoDuplicateProbe_TakesWithoutAskingTheNetwork()
    {
        NamespacePair.Run("ip", "-n", net.Peer, "addr", "add", "10.214.0.61/24", "dev", NamespacePair.PeerInterface);
        var unprobed = new LinuxAddressManager(log, commandPrefix: net.HostPrefix, duplicateProbes: 0);

        await unprobed.TakeAsync(Floating("10.214.0.61"), probe: true, CancellationToken.None).WaitAsync(Bound); // haven.ips.duplicate-probes = 0: the operator's choice

        Assert.Contains("10.214.0.61", await HeldIpsAsync());
    }

    [Fact]
    public async Task TakeAsync_ProbeFalse_SkipsTheConfiguredProbe()
    {
        // A machine answers: with the probe (duplicate-probes 1, the default) the take is refused; the cluster
        // asks for no probe only after a fence confirmed the last holder off, and then the address is added at once.
        NamespacePair.Run("ip", "-n", net.Peer, "addr", "add", "10.214.0.62/24", "dev", NamespacePair.PeerInterface);
        await Assert.ThrowsAsync<AddressInUseException>(() => manager.TakeAsync(Floating("10.214.0.62"), probe: true, CancellationToken.None).WaitAsync(Bound));

        await manager.TakeAsync(Floating("10.214.0.62"), probe: false, CancellationToken.None).WaitAsync(Bound);

        Assert.Contains("10.214.0.62", await HeldIpsAsync());
    }

    [Fact]
    public async Task ReleaseAsync_HeldAddress_RemovesItAndIsIdempotent()
    {
        await manager.TakeAsync(Floating(), probe: true, CancellationToken.None).WaitAsync(Bound);

        await manager.ReleaseAsync(Floating(), CancellationToken.None).WaitAsync(Bound);
        await manager.ReleaseAsync(Floating(), CancellationToken.None).WaitAsync(Bound);

        Assert.DoesNotContain("10.214.0.50", await HeldIpsAsync());
        Assert.Contains(NamespacePair.HostBase, await HeldIpsAsync());
        Assert.NotEqual(0, net.InPeer("ping", "-c1", "-W1", "10.214.0.50"));
    }

    [Fact]
    public async Task ReleaseAsync_NeverTaken_DoesNothing()
    {
        await manager.ReleaseAsync(Floating(), CancellationToken.None).WaitAsync(Bound);

        Assert.Equal([NamespacePair.HostBase], await HeldIpsAsync());
    }

    [Fact]
    public async Task TakeAsync_MissingInterface_FailsWithTheCommandsError()
    {
        var error = await Assert.ThrowsAsync<AddressCommandException>(
            () => manager.TakeAsync(new PublicAddress("10.214.0.50", 24, "nosuch0"), probe: true, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("nosuch0", error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.False(error.TimedOut);
    }

    [Fact]
    public async Task ReleaseAsync_LiveTcpConnectionToAddress_IsReset()
    {
        await manager.TakeAsync(Floating(), probe: true, CancellationToken.None).WaitAsync(Bound);
        const string server = """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("10.214.0.50", 7000)); s.listen(1); print("listening", flush=True)
            c, _ = s.accept(); print("accepted", flush=True); c.settimeout(10)
            try:
                print("eof" if not c.recv(10) else "data", flush=True)
            except socket.timeout:
                print("timeout", flush=True)
            except OSError as e:
                print("error", e.errno, flush=True)
            """;
        const string client = """
            import socket
            c = socket.create_connection(("10.214.0.50", 7000), timeout=5); print("connected", flush=True)
            c.settimeout(20)
            try:
                c.recv(10)
            except OSError:
                pass
            """;
        using var serverProcess = StartPython(net.Host, server);
        try
        {
            Assert.Equal("listening", await serverProcess.StandardOutput.ReadLineAsync().WaitAsync(Bound));
            using var peerClient = StartPython(net.Peer, client);
            try
            {
                Assert.Equal("connected", await peerClient.StandardOutput.ReadLineAsync().WaitAsync(Bound));
                Assert.Equal("accepted", await serverProcess.StandardOutput.ReadLineAsync().WaitAsync(Bound));

                await manager.ReleaseAsync(Floating(), CancellationToken.None).WaitAsync(Bound);

                // ss -K aborts the server's socket: ECONNABORTED (103) now, where it would otherwise time out after 10 s.
                Assert.Equal("error 103", await serverProcess.StandardOutput.ReadLineAsync().WaitAsync(Bound));
            }
            finally
            {
                Stop(peerClient);
            }
        }
        finally
        {
            Stop(serverProcess);
        }
    }

    private static Process StartPython(string netns, string script)
    {
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["netns", "exec", netns, "python3", "-c", script])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit(5_000);
    }
}
