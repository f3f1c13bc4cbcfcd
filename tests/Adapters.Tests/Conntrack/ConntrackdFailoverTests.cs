using System.Diagnostics;
using Haven.Actors.Cluster;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Actors.Membership;
using Haven.Adapters.Conntrack;
using Haven.Adapters.Tests.Heuristics;

namespace Haven.Adapters.Tests.Conntrack;

/// <summary>
/// A failover with two real conntrackd daemons in two namespaces: the policy promotes the host that holds the
/// group, and after the group moves, the new master's kernel knows the connection the old master carried.
/// </summary>
public sealed class ConntrackdFailoverTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly NodeId N1 = new(1);
    private static readonly NodeId N2 = new(2);
    private const string GroupIp = "192.0.2.10";
    private readonly ConntrackdPair pair = new();

    public void Dispose() => pair.Dispose();

    private ConntrackdController Controller(string ns, string side) => new(
        new ConntrackSettings { Binary = "/usr/sbin/conntrackd", ConfigFile = pair.Config(side), StateFile = Path.Combine(pair.Directory, side + ".state"), Group = [GroupIp] },
        new RecordingLogger<ConntrackdController>(),
        TimeProvider.System,
        pair.Prefix(ns));

    [Fact]
    public async Task GroupMovesFromAToB_BsKernelGetsTheConnectionACarried()
    {
        await pair.StartAsync();
        var (a, b) = (Controller(pair.A, "a"), Controller(pair.B, "b"));
        var (policyA, policyB) = (new ConntrackPolicy([GroupIp], N1), new ConntrackPolicy([GroupIp], N2));
        var up = ClusterState.Empty.ApplyAll([new NodeJoined(N1, "a"), new NodeUp(N1), new NodeJoined(N2, "b"), new NodeUp(N2)]);
        var onA = up.Apply(new IpTaken("eth0", GroupIp, 24, N1));

        await a.ExecuteAsync(policyA.Decide(a.RecordedRole, up, onA), CancellationToken.None).WaitAsync(Bound);
        Assert.True(policyB.Decide(b.RecordedRole, up, onA).IsEmpty);
        var port = await pair.OpenConnectionInAAsync();
        var entry = $"dport={port} ";
        await WaitForExternalCacheAsync(b, entry);
        Assert.DoesNotContain(entry, pair.KernelTable(pair.B), StringComparison.Ordinal);

        // Failover: A releases the address (and demotes), then B takes it (and promotes).
        var released = onA.Apply(new IpReleased("eth0", GroupIp, 24, N1));
        var onB = released.Apply(new IpTaken("eth0", GroupIp, 24, N2));
        var demoteA = policyA.Decide(a.RecordedRole, onA, released);
        await a.ExecuteAsync(demoteA, CancellationToken.None).WaitAsync(Bound);
        var promoteB = policyB.Decide(b.RecordedRole, released, onB);
        await b.ExecuteAsync(promoteB, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(ConntrackTransition.Demote, demoteA.Transition);
        Assert.Equal(ConntrackTransition.Promote, promoteB.Transition);
        Assert.Contains(entry, pair.KernelTable(pair.B), StringComparison.Ordinal);
        Assert.Equal((ConntrackRole.Backup, ConntrackRole.Master), (a.RecordedRole, b.RecordedRole));
    }

    /// <summary>Sync is asynchronous: ask B's daemon for its external cache until A's connection is there (bounded).</summary>
    private static async Task WaitForExternalCacheAsync(ConntrackdController b, string entry)
    {
        var clock = Stopwatch.StartNew();
        string cache;
        do
        {
            cache = await b.RunAsync(ConntrackCommand.DumpExternalCache, CancellationToken.None).WaitAsync(Bound);
        }
        while (!cache.Contains(entry, StringComparison.Ordinal) && clock.Elapsed < Bound);

        Assert.Contains(entry, cache, StringComparison.Ordinal);
    }
}
