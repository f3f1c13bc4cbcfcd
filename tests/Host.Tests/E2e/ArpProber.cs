using System.Diagnostics;
using System.Text.Json;

namespace Haven.Host.Tests.E2e;

/// <summary>One run of the same MAC answering for the address, in the order seen (ms since the prober started).</summary>
internal sealed record MacRun(string Mac, double FirstMs, double LastMs, int Replies);

/// <summary>What tests/e2e/arp-prober.py saw: the longest silence, the answering MACs in order, and how many probe intervals two MACs answered in.</summary>
internal sealed record ProbeSummary(int Probes, int Answered, double GapMs, IReadOnlyList<MacRun> Macs, int MacRuns, int Conflicts)
{
    public override string ToString() =>
        $"{Probes} probes, {Answered} answered, longest gap {GapMs:0} ms, {Conflicts} conflicts, MACs: {string.Join(" then ", Macs.Select(m => $"{m.Mac} ({m.Replies} replies, {m.FirstMs:0}-{m.LastMs:0} ms)"))}"
        + (MacRuns > Macs.Count ? $" and {MacRuns - Macs.Count} more runs" : "");

    public static ProbeSummary Parse(string json)
    {
        var root = JsonDocument.Parse(json).RootElement;
        var macs = root.GetProperty("macs").EnumerateArray()
            .Select(m => new MacRun(m.GetProperty("mac").GetString()!, m.GetProperty("first_ms").GetDouble(), m.GetProperty("last_ms").GetDouble(), m.GetProperty("replies").GetInt32()))
            .ToList();
        return new ProbeSummary(root.GetProperty("probes").GetInt32(), root.GetProperty("answered").GetInt32(), root.GetProperty("gap_ms").GetDouble(),
            macs, root.GetProperty("mac_runs").GetInt32(), root.GetProperty("conflicts").GetInt32());
    }
}

/// <summary>
/// The ARP prober (tests/e2e/arp-prober.py) running in the cluster's client namespace: an ARP request for
/// the floating address every 10 ms, each reply logged with the MAC that sent it. <see cref="StopAsync"/>
/// stops it with SIGTERM and returns its summary; disposing kills it if it still runs (the harness's
/// `down` would too: its command line names the run's state dir).
/// </summary>
internal sealed class ArpProber : IAsyncDisposable
{
    private readonly Process process;
    private readonly Task<string> stdout;
    private readonly Task<string> stderr;

    private ArpProber(Process process, string log)
    {
        this.process = process;
        Log = log;
        stdout = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
    }

    public string Log { get; }

    public static ArpProber Start(E2eCluster cluster, string address)
    {
        var log = Path.Combine(cluster.StateDir, "probe.log");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[E2eCluster.E2eFile("cluster.sh"), "client", "python3", E2eCluster.E2eFile("arp-prober.py"),
                     "--iface", "eth0", "--target", address, "--interval", "0.01", "--log", log])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HAVEN_E2E_RUN"] = cluster.Run;
        return new ArpProber(Process.Start(psi)!, log);
    }

    /// <summary>Waits until <paramref name="mac"/> has answered at least once (the prober logs each reply as it comes).</summary>
    public async Task WaitForReplyFromAsync(string mac, TimeSpan timeout)
    {
        var seen = await E2eCluster.WaitForAsync(
            () => Task.FromResult(process.HasExited ? null : E2eCluster.ReadLog(Log)),
            text => text is null || text.Contains(" " + mac, StringComparison.Ordinal),
            timeout, $"an ARP reply from {mac}");
        if (seen is null)
        {
            Assert.Fail($"the ARP prober exited early ({process.ExitCode}): {await stderr}");
        }
    }

    public async Task<ProbeSummary> StopAsync()
    {
        Assert.False(process.HasExited, "the ARP prober exited before it was stopped");
        // `cluster.sh client` execs `ip netns exec`, which execs python: the pid is the prober's.
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"the ARP prober exited {process.ExitCode}: {await stderr}");
        return ProbeSummary.Parse(output.Trim().Split('\n')[^1]);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        process.Dispose();
    }
}
