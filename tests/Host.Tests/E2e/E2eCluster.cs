using System.Diagnostics;
using System.Text.Json;

namespace Haven.Host.Tests.E2e;

/// <summary>The end-to-end tests share the machine's CPU with real corosync and daemons: one at a time.</summary>
[CollectionDefinition("e2e", DisableParallelization = true)]
public sealed class E2eCollection;

/// <summary>One host's answer to <c>haven cluster status --json</c>.</summary>
internal sealed record HostStatus(string Node, string Partition, string? Dc, bool Quorate, IReadOnlyDictionary<string, string> States, long Index, string Digest);

/// <summary>
/// A real cluster made by tests/e2e/cluster.sh: N network namespaces with corosync and `haven daemon`
/// each. Disposing it runs the harness's `down`, which removes only what this run made. The machine
/// must allow it (root, ip, corosync): otherwise <see cref="UpAsync"/> fails with what is missing.
/// </summary>
internal sealed class E2eCluster : IAsyncDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private E2eCluster(string run, int hosts)
    {
        Run = run;
        Hosts = hosts;
    }

    public string Run { get; }
    public int Hosts { get; }
    public string StateDir => Path.Combine(StateRoot, Run);

    private static string StateRoot => Environment.GetEnvironmentVariable("HAVEN_E2E_STATE") is { Length: > 0 } s ? s : "/tmp/haven-e2e";

    public static async Task<E2eCluster> UpAsync(int hosts, params string[] options)
    {
        RequireMachine();
        var cluster = new E2eCluster("e" + Guid.NewGuid().ToString("N")[..5], hosts);
        try
        {
            await cluster.HarnessAsync(["up", hosts.ToString(System.Globalization.CultureInfo.InvariantCulture), .. options]);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    public string HostDir(int host) => Path.Combine(StateDir, $"n{host}");
    public string Socket(int host) => Path.Combine(HostDir(host), "haven.sock");
    public string Log(int host) => Path.Combine(HostDir(host), "haven.log");

    /// <summary>A log file a running daemon is still writing ("" while it does not exist yet).</summary>
    public static string ReadLog(string path)
    {
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    public Task CutAsync(int host) => HarnessAsync("cut", Host(host));
    public Task MendAsync(int host) => HarnessAsync("mend", Host(host));
    public Task UplinkCutAsync(int host) => HarnessAsync("uplink-cut", Host(host));
    public Task KillAsync(int host) => HarnessAsync("kill", Host(host));
    public Task CrashAsync(int host) => HarnessAsync("crash", Host(host));

    /// <summary>The hosts whose eth1 holds <paramref name="address"/> now (a fenced host keeps it on its dead link).</summary>
    public async Task<int[]> HoldersAsync(string address) =>
        (await HarnessOutputAsync("holder", address)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The MAC address of host <paramref name="host"/>'s eth1 (the public interface).</summary>
    public async Task<string> MacAsync(int host) => (await HarnessOutputAsync("mac", Host(host))).Trim();

    /// <summary>A file of tests/e2e (the harness and its helpers), found above the test binaries.</summary>
    public static string E2eFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "e2e", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"tests/e2e/{name} not found above {AppContext.BaseDirectory}");
    }

    public async Task<HostStatus> StatusAsync(int host)
    {
        var (code, output, error) = await CliRunner.RunAsync("cluster", "status", "--json", "--socket", Socket(host));
        Assert.True(code == 0, $"haven cluster status on n{host} failed ({code}): {error}");
        var json = JsonDocument.Parse(output).RootElement;
        var states = json.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("state").GetString()!);
        return new HostStatus(json.GetProperty("node").GetString()!, json.GetProperty("partition").GetString()!,
            json.GetProperty("dc").ValueKind == JsonValueKind.Null ? null : json.GetProperty("dc").GetString(),
            json.GetProperty("quorate").GetBoolean(), states, json.GetProperty("streamIndex").GetInt64(), json.GetProperty("digest").GetString() ?? "");
    }

    /// <summary>The cluster events this host journaled: (type, fields).</summary>
    public async Task<IReadOnlyList<(string Type, JsonElement Fields)>> ClusterEventsAsync(int host)
    {
        var (code, output, error) = await CliRunner.RunAsync("events", "--json", "--limit", "1000000", "--socket", Socket(host));
        Assert.True(code == 0, $"haven events on n{host} failed ({code}): {error}");
        return JsonDocument.Parse(output).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("persistenceId").GetString() == "cluster")
            .Select(e => (e.GetProperty("type").GetString()!, e.GetProperty("fields").Clone())).ToList();
    }

    /// <summary>`haven events --digest` of every host, as printed.</summary>
    public async Task<string[]> DigestsAsync(params int[] hosts)
    {
        var tasks = (hosts.Length == 0 ? Enumerable.Range(1, Hosts) : hosts).Select(async h =>
        {
            var (code, output, error) = await CliRunner.RunAsync("events", "--digest", "--socket", Socket(h));
            Assert.True(code == 0, $"haven events --digest on n{h} failed ({code}): {error}");
            return output.Trim();
        });
        return await Task.WhenAll(tasks);
    }

    /// <summary>
    /// Polls (real time: these are real processes) until <paramref name="condition"/> holds; fails with
    /// <paramref name="what"/> and the last value seen when <paramref name="timeout"/> passes.
    /// </summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Poll);
        T last;
        while (true)
        {
            last = await read();
            if (condition(last)) return last;
            if (clock.Elapsed > timeout) break;
            await timer.WaitForNextTickAsync();
        }
        Assert.Fail($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last seen: {Describe(last)}");
        return last;
    }

    /// <summary>Waits until every host's digest is the same (reads them together; events may still be flowing).</summary>
    public Task<string[]> WaitForIdenticalDigestsAsync(TimeSpan timeout) =>
        WaitForAsync(() => DigestsAsync(), d => d.Distinct().Count() == 1 && d[0] != "0 -", timeout, "identical `haven events --digest` on every host");

    /// <summary>Waits until the given hosts' digests are the same.</summary>
    public Task<string[]> WaitForIdenticalDigestsOfAsync(int[] hosts, TimeSpan timeout) =>
        WaitForAsync(() => DigestsAsync(hosts),
            d => d.Distinct().Count() == 1, timeout, $"identical digests on hosts {string.Join(",", hosts)}");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await HarnessAsync("down");
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"e2e teardown of run {Run} failed: {e.Message}");
        }
    }

    private static string Host(int host) => host.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Describe(object? value) => value switch
    {
        string[] a => string.Join(" | ", a),
        HostStatus[] s => string.Join(" | ", s.Select(x => x.ToString())),
        _ => value?.ToString() ?? "null",
    };

    public async Task HarnessAsync(params string[] args) => await HarnessOutputAsync(args);

    /// <summary>Runs cluster.sh with this run's id; fails the test when it exits non-zero; returns its output.</summary>
    public async Task<string> HarnessOutputAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunHarnessAsync(args);
        Assert.True(code == 0, $"cluster.sh {string.Join(' ', args)} exited {code}: {stderr}{stdout}");
        return stdout;
    }

    /// <summary>Runs a command inside host <paramref name="host"/>'s namespace: its exit code and output (never fails the test itself).</summary>
    public Task<(int Code, string Stdout, string Stderr)> ExecAsync(int host, params string[] command) =>
        RunHarnessAsync(["exec", Host(host), .. command]);

    /// <summary>Does the client namespace get an ARP answer from <paramref name="address"/> (two requests, 2 s)?</summary>
    public async Task<bool> ClientArpingAsync(string address) =>
        (await RunHarnessAsync(["client", "arping", "-c", "2", "-w", "2", "-I", "eth0", address])).Code == 0;

    private async Task<(int Code, string Stdout, string Stderr)> RunHarnessAsync(string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HAVEN_E2E_RUN"] = Run;
        psi.Environment["HAVEN_DLL"] = Path.Combine(AppContext.BaseDirectory, "haven.dll");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Script => E2eFile("cluster.sh");

    /// <summary>Fails (never skips) with what this machine lacks for a real cluster.</summary>
    private static void RequireMachine()
    {
        var missing = new List<string>();
        if (Environment.UserName != "root") missing.Add($"root (running as {Environment.UserName}): network namespaces need it");
        foreach (var tool in new[] { "ip", "corosync", "corosync-quorumtool", "unshare" })
            if (!new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Any(d => File.Exists(Path.Combine(d, tool))))
                missing.Add($"{tool} (apt-get install corosync iproute2 util-linux, or run .ci/run)");
        if (!File.Exists("/usr/lib/x86_64-linux-gnu/libcpg.so.4") && !File.Exists("/usr/lib/aarch64-linux-gnu/libcpg.so.4"))
            missing.Add("libcpg.so.4 (apt-get install corosync)");
        if (missing.Count > 0)
            Assert.Fail("this machine cannot run the real-cluster tests; missing: " + string.Join("; ", missing));
    }
}
