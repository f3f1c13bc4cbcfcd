using System.Diagnostics;

namespace Haven.Host.Tests;

/// <summary>
/// Bad input to the real executable (as an operator runs it) is one clear line naming the file or key and an error
/// exit, never an unhandled exception (exit 134) or a hang; a refused daemon start creates nothing.
/// </summary>
public sealed class BadInputProcessTests
{
    internal static async Task<(int Code, string Out, string Err)> HavenAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "haven.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private static string Config(TempDir dir, string extra) => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster.node-name = p1
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          logging.console = off
        }
        {{extra}}
        """);

    public static TheoryData<string, string> BadConfigs => new()
    {
        { "haven.ips.duplicate-probes = -1", "haven.ips.duplicate-probes: -1 is out of range (0..5)" },
        { "haven.control.socket = \"\"", "haven.control.socket: must name the control socket's file" },
        { "haven.control.socket = \"/tmp\"", "haven.control.socket: /tmp is a directory" },
        { "haven.journal.sqlite.path = \"\"", "haven.journal.sqlite.path: must name the SQLite journal's file" },
        { "haven.alerts { enabled = on, to = [\"ops@example.com\"], smtp-user = u, smtp-password-file = \"/nonexistent/pw\" }", "haven.alerts.smtp-password-file: /nonexistent/pw does not exist" },
        { "include \"/dev/zero\"", "/dev/zero is not a regular file" },
        { "include \"/dev/urandom\"", "/dev/urandom is not a regular file" },
        { "SECRETS", "is not valid HOCON at line 1" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public async Task Daemon_BadConfig_OneLineNamingItExit1AndNothingCreated(string extra, string problem)
    {
        using var dir = new TempDir();
        if (extra == "SECRETS")
        {
            var secrets = dir.WriteConfig("secrets.conf", "p1 { password = \"s3cret\" = }\n");
            extra = $"haven.fencing {{ enabled = on, secrets-file = \"{secrets}\", devices {{ p1 {{ type = pool }} }}, topology {{ \"*\" = [[p1]] }} }}";
        }
        var config = Config(dir, extra);

        var (code, output, err) = await HavenAsync("daemon", "--config", config);

        Assert.True(code == 1, $"exit {code}: {err}");
        Assert.Equal("", output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("haven: ", line);
        Assert.Contains(problem, line);
        Assert.DoesNotContain("s3cret", line);
        Assert.False(File.Exists(dir.File("journal.db")), "a refused start created the journal");
    }

    [Fact]
    public async Task EventsFollow_ReaderClosesThePipe_TheFollowerExits()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        await daemon.WaitForEventAsync("daemon.started.v1");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "haven.dll"), "events", "--follow", "--socket", dir.File("haven.sock") }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (first?.Contains("events.delivered.v1") == true) // event delivery's checkpoint is journaled before the start
                first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Contains("daemon.started.v1", first);
            process.StandardOutput.Close(); // `| head -1`: the reader is gone, and the cluster stays quiet

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Theory]
    [InlineData("--after", "abc")]
    [InlineData("--limit", "x")]
    public async Task Events_UnparsableNumber_UsageErrorNamingTheOption(string option, string value)
    {
        var (code, _, err) = await HavenAsync("events", option, value, "--socket", "/nonexistent/haven.sock");
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Equal($"haven: Cannot parse argument '{value}' for option '{option}' as expected type 'System.Int64'.", err.Split('\n')[0]);
        Assert.DoesNotContain("Unhandled", err);
    }

    [Fact]
    public async Task Daemon_RandomBytesInsideTheJournal_OneLineNamingTheJournalExit1AndTheFileUnchanged()
    {
        using var dir = new TempDir();
        var config = dir.SimulatedDaemonConfig();
        var journal = dir.File("journal.db");
        await using (var daemon = await RunningDaemon.StartAsync(config)) // a clean run with events
        {
            await daemon.WaitForEventAsync("cluster.primary-formed.v1");
            foreach (var (key, value) in new[] { ("haven.heuristics.attempts", "4"), ("haven.heuristics.timeout", "3s"), ("haven.heuristics.interval", "7s") })
            {
                var (setCode, _, setErr) = await CliRunner.RunAsync("config", "set", key, value, "--socket", dir.File("haven.sock"));
                Assert.True(setCode == 0, setErr);
            }
            Assert.Equal(0, await daemon.StopAsync());
        }
        var bytes = File.ReadAllBytes(journal);
        Assert.True(!File.Exists(journal + "-wal") || new FileInfo(journal + "-wal").Length == 0, "the clean stop left a WAL behind");
        Assert.True(bytes.Length >= 4 * 4096, $"only {bytes.Length} bytes");
        Assert.Equal(0, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(36))); // no free page: the damage hits pages in use
        // A few KB in the middle overwritten (not truncated): the file is as long as before, its header intact.
        new Random(16).NextBytes(bytes.AsSpan(bytes.Length / 2 - 2048, 4096));
        File.WriteAllBytes(journal, bytes);

        var (code, output, err) = await HavenAsync("daemon", "--config", config);

        Assert.True(code == 1, $"exit {code}: {err}");
        Assert.Equal("", output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"haven: journal {journal} is damaged (", line);
        Assert.Contains("restore it from a backup", line);
        Assert.Equal(bytes, File.ReadAllBytes(journal)); // nothing written to it
    }
}
