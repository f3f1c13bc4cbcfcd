using Haven.Actors.Akka;
using Haven.Actors.Akka.Workload;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Haven.Actors.Tests.Akka;

/// <summary>The loop's promise: a seed is one run, byte for byte, fresh or on reused hosts; another seed is another run.</summary>
public sealed class LoopDeterminismTests(ITestOutputHelper output)
{
    internal static readonly TimeSpan Duration = TimeSpan.FromSeconds(1);

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

    [Fact]
    public async Task SameSeed_InTwoOtherProcesses_TracesIdenticalToThisOne()
    {
        string here;
        using (var hosts = Hosts()) here = LoopWorkload.Run(hosts, 42, Duration);
        // Each process has its own string-hash seed; one also runs without tiered compilation.
        var children = new[] { ("DOTNET_TieredCompilation", "1"), ("DOTNET_TieredCompilation", "0") }.Select(Start).ToList();
        foreach (var child in children)
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                var stdout = child.StandardOutput.ReadToEndAsync(limit.Token);
                var stderr = child.StandardError.ReadToEndAsync(limit.Token);
                await child.WaitForExitAsync(limit.Token);
                Assert.True(child.ExitCode == 0, $"child exited {child.ExitCode}: {await stderr}");
                Assert.Equal(here, await stdout);
            }
            finally
            {
                if (!child.HasExited) child.Kill(entireProcessTree: true);
                child.Dispose();
            }
        }
    }

    private static Process Start((string Name, string Value) env)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(LoopTraceProgram).Assembly.Location);
        start.ArgumentList.Add("akka-loop-trace");
        start.ArgumentList.Add("42");
        start.Environment[env.Name] = env.Value;
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {dotnet}");
    }
}
