using Haven.Actors.Akka;
using Haven.Actors.Akka.Workload;
using Xunit.Abstractions;

namespace Haven.Actors.Tests.Akka;

/// <summary>The loop's promise: a seed is one run, byte for byte, fresh or on reused hosts; another seed is another run.</summary>
public sealed class LoopDeterminismTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(1);

    internal static SimHosts Hosts(int count = 3, int seed = 0) =>
        new($"det-{Guid.NewGuid():N}", seed, Enumerable.Range(0, count).Select(h => $"host{h}").ToList());

    [Fact]
    public void SameSeed_Twice_TracesIdenticalByteForByte()
    {
        string first, second;
        using (var hosts = Hosts()) first = LoopWorkload.Run(hosts, 42, Duration);
        using (var hosts = Hosts()) second = LoopWorkload.Run(hosts, 42, Duration);
        output.WriteLine($"{first.Split('\n').Length} lines");
        Assert.Contains("recovered seq", first);
        Assert.Contains("restarts after", first);
        Assert.Contains("stops on", first);
        Assert.Contains("snapshot at", first);
        Assert.Equal(first, second);
    }

    [Fact]
    public void SameSeed_OnReusedHosts_TraceIdenticalToFreshHosts()
    {
        string fresh;
        using (var hosts = Hosts()) fresh = LoopWorkload.Run(hosts, 7, Duration);
        using var reused = Hosts();
        LoopWorkload.Run(reused, 8, Duration);
        LoopWorkload.Run(reused, 9, Duration);
        Assert.Equal(fresh, LoopWorkload.Run(reused, 7, Duration));
    }

    [Fact]
    public void DifferentSeeds_DifferentTraces()
    {
        using var hosts = Hosts();
        var traces = Enumerable.Range(1, 8).Select(seed => LoopWorkload.Run(hosts, seed, Duration)).ToList();
        Assert.Equal(8, traces.Distinct(StringComparer.Ordinal).Count());
    }
}
