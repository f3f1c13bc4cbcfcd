using System.Diagnostics;

namespace Haven.Host.Tests;

/// <summary>
/// The published `haven` (scripts/publish.sh: the NativeAOT client in bin/, the full assembly in lib/haven/), run
/// as a separate process the way an operator runs it: the client verbs answer exactly as the in-process verbs do
/// (same output, same exit codes), and every other verb reaches the full assembly.
/// </summary>
public class PublishedClientTests(PublishedHaven haven) : IClassFixture<PublishedHaven>
{
    private static string Config(TempDir dir) => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          ips.public-addresses = [{ address = "192.0.2.10/24", interface = lo }]
          logging.console = off
        }
        """);

    /// <summary>Each verb, run by the published client and in process: the same exit code, output and errors.</summary>
    private async Task AssertSameAsync(params string[] args)
    {
        var expected = await CliRunner.RunAsync(args);
        var actual = await haven.RunAsync(args);
        Assert.True(expected == actual,
            $"haven {string.Join(' ', args)}\nin process: {expected.Code}\n{expected.Out}{expected.Err}\npublished: {actual.Code}\n{actual.Out}{actual.Err}");
    }

    [Fact]
    public async Task ClientVerbs_AgainstADaemon_PrintWhatTheInProcessVerbsPrint()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var socket = dir.File("haven.sock");

        await AssertSameAsync("cluster", "status", "--json", "--socket", socket);
        await AssertSameAsync("cluster", "status", "--socket", socket);
        await AssertSameAsync("ip", "list", "--socket", socket);
        await AssertSameAsync("ip", "list", "--json", "--socket", socket);
        await AssertSameAsync("vm", "list", "--json", "--socket", socket);
        await AssertSameAsync("fence", "list", "--json", "--socket", socket);
        await AssertSameAsync("config", "get", "haven.ha.enabled", "--socket", socket);
        await AssertSameAsync("events", "--digest", "--json", "--socket", socket);
        await AssertSameAsync("events", "--limit", "2", "--json", "--socket", socket);
        await AssertSameAsync("events", "scripts", "--json", "--socket", socket);

        var (code, status, err) = await haven.RunAsync("status", "--json", "--socket", socket);
        Assert.True(code == 0, err);
        Assert.Contains("\"node\": \"solo\"", status);
        Assert.Contains($"\"pid\": {Environment.ProcessId}", status);
    }

    [Fact]
    public async Task ClientVerbs_PostsAndRefusals_KeepTheirAnswersAndExitCodes()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var socket = dir.File("haven.sock");

        var (code, output, err) = await haven.RunAsync("ha", "disable", "--socket", socket);
        Assert.True(code == 0, err);
        Assert.Contains("off", output);
        await AssertSameAsync("ha", "status", "--json", "--socket", socket);
        Assert.Contains("\"enabled\": false", (await haven.RunAsync("ha", "status", "--json", "--socket", socket)).Out);

        await AssertSameAsync("config", "set", "haven.no-such-key", "1", "--socket", socket);    // refused by the daemon: 1
        await AssertSameAsync("ip", "move", "198.51.100.1", "solo", "--socket", socket);        // not configured: 1
        await AssertSameAsync("node", "standby", "nobody", "--socket", socket);
        await AssertSameAsync("vm", "add", "web-01", "--hypervisor", "process", "--config", "sleep 1", "--prefer", "solo", "--socket", socket); // usage: 2
    }

    [Fact]
    public async Task ClientVerbs_NoDaemonOrBadArguments_SameErrorsAndExitCodes()
    {
        using var dir = new TempDir();
        await AssertSameAsync("status", "--socket", dir.File("none.sock"));                 // 1: no haven daemon at …
        await AssertSameAsync("cluster", "status", "--json", "--socket", dir.File("none.sock"));
        await AssertSameAsync("health", "--socket", dir.File("none.sock"));                 // 2: unhealthy
        await AssertSameAsync("status", "--bogus");                                          // 2: usage
        await AssertSameAsync("events", "--limit", "0");
        await AssertSameAsync("vm", "ha", "web-01", "maybe");
    }

    [Fact]
    public async Task OtherVerbs_AreHandedToTheFullAssembly()
    {
        using var dir = new TempDir();
        var config = Config(dir);

        var (code, output, err) = await haven.RunAsync("config", "check", config);
        Assert.True(code == 0, err);
        Assert.Equal($"{config}: OK\n", output);

        (code, output, _) = await haven.RunAsync("--help");
        Assert.Equal(0, code);
        foreach (var verb in new[] { "daemon", "status", "demo", "simulate", "help", "completion" }) Assert.Contains($"  {verb} ", output);

        var full = await haven.RunAsync("completion", "bash");
        Assert.Equal(0, full.Code);
        Assert.Equal(File.ReadAllText(Path.Combine(ConfigCheckTests.RepoRoot(), "packaging/haven.bash-completion")), full.Out);

        (code, _, err) = await haven.RunAsync("no-such-verb");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no-such-verb", err);
    }

    [Fact]
    public async Task FullAssemblyMissing_SaysWhereItLookedAndExits1()
    {
        var (code, _, err) = await haven.RunAsync(new Dictionary<string, string> { ["HAVEN_FULL"] = "/nonexistent/haven" }, "daemon");
        Assert.Equal(ExitCodes.Error, code);
        Assert.Contains("/nonexistent/haven", err);
    }
}

/// <summary>
/// Publishes `haven` once for the test class with scripts/publish.sh into the repository's artifacts/haven
/// (incremental: ./test.sh has published it already, so this only checks it is up to date).
/// </summary>
public sealed class PublishedHaven : IAsyncLifetime
{
    public string Client { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var root = ConfigCheckTests.RepoRoot();
        var output = Path.Combine(root, "artifacts", "haven");
        var (code, stdout, stderr) = await RunProcessAsync(Path.Combine(root, "scripts", "publish.sh"), [output], null, TimeSpan.FromMinutes(10));
        Assert.True(code == 0, $"scripts/publish.sh failed ({code}):\n{stdout}{stderr}");
        Client = Path.Combine(output, "bin", "haven");
    }

    public Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RunAsync(null, args);

    public Task<(int Code, string Out, string Err)> RunAsync(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        RunProcessAsync(Client, args, env, TimeSpan.FromSeconds(60));

    private static async Task<(int Code, string Out, string Err)> RunProcessAsync(string file, string[] args, IReadOnlyDictionary<string, string>? env, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("HAVEN_SOCKET");
        psi.Environment.Remove("HAVEN_FULL");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
