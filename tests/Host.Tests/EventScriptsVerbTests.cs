using System.Text.Json;
using Haven.Actors.Configuration;
using Haven.Host.Daemon;

namespace Haven.Host.Tests;

/// <summary>A one-host daemon with an events.d in the test's folder: init, setup, startup at start, shutdown at stop, `haven events scripts`.</summary>
public class EventScriptsVerbTests
{
    private const UnixFileMode Exec = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode NoExec = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static string Socket(TempDir dir) => dir.File("haven.sock");

    private static string Calls(TempDir dir) => dir.File("calls.log");

    private static string[] CallsOf(TempDir dir) => File.Exists(Calls(dir)) ? File.ReadAllLines(Calls(dir)) : [];

    private static string Script(TempDir dir, string name, string body, UnixFileMode mode = Exec)
    {
        var path = Path.Combine(Directory.CreateDirectory(dir.File("events.d")).FullName, name);
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string Config(TempDir dir, string scriptsDir) => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{Socket(dir)}}"
          split-brain-resolver.stable-after = 100ms
          logging { console = off, file.path = "{{dir.File("haven.log")}}" }
          events { scripts-dir = "{{scriptsDir}}", script-timeout = 20s }
        }
        """);

    [Fact]
    public async Task Daemon_WithScripts_RunsInitSetupStartupThenShutdownAtStop()
    {
        using var dir = new TempDir();
        Script(dir, "10.record", $"echo \"10.record $*\" >> '{Calls(dir)}'");
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, dir.File("events.d")));
        await daemon.State.Events!.Started.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["10.record init", "10.record setup", "10.record startup"], CallsOf(dir).Where(l => !l.Contains("startrecovery") && !l.Contains("recovered") && !l.Contains("ipreallocated")));

        Assert.Equal(0, await daemon.StopAsync());

        Assert.Equal("10.record shutdown", CallsOf(dir)[^1]);
    }

    [Fact]
    public async Task EventsScripts_MixedDirectory_ListsOrderVerdictsAndLastResults()
    {
        using var dir = new TempDir();
        Script(dir, "10.record", $"echo \"10.record $*\" >> '{Calls(dir)}'");
        Script(dir, "10.record~", "exit 0");
        Script(dir, "20.off", "exit 0", NoExec);
        Script(dir, "README", "exit 0", NoExec);
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, dir.File("events.d")));
        await daemon.State.Events!.Started.WaitAsync(TimeSpan.FromSeconds(30));

        var (code, output, err) = await CliRunner.RunAsync("events", "scripts", "--json", "--socket", Socket(dir));

        Assert.True(code == 0, err);
        var view = JsonDocument.Parse(output).RootElement;
        Assert.True(view.GetProperty("exists").GetBoolean());
        Assert.Equal(0, view.GetProperty("errors").GetArrayLength());
        var scripts = view.GetProperty("scripts").EnumerateArray().ToList();
        Assert.Equal(["10.record", "10.record~", "20.off", "README"], scripts.Select(s => s.GetProperty("name").GetString()));
        var record = scripts[0];
        Assert.Equal(10, record.GetProperty("order").GetInt32());
        Assert.True(record.GetProperty("runs").GetBoolean());
        Assert.Equal(0, record.GetProperty("last").GetProperty("exitCode").GetInt32());
        Assert.Contains(record.GetProperty("last").GetProperty("event").GetString(), new[] { "startup", "monitor", "recovered", "ipreallocated", "startrecovery" });
        Assert.StartsWith("ignored", scripts[1].GetProperty("status").GetString());
        Assert.False(scripts[2].GetProperty("executable").GetBoolean());
        Assert.Equal(JsonValueKind.Null, scripts[2].GetProperty("last").ValueKind);
        Assert.Equal(JsonValueKind.Null, scripts[3].GetProperty("order").ValueKind);

        var (textCode, text, _) = await CliRunner.RunAsync("events", "scripts", "--socket", Socket(dir));
        Assert.Equal(0, textCode);
        Assert.Contains("10.record", text);
        Assert.Contains("skipped: not executable", text);
    }

    [Fact]
    public async Task EventsScripts_DuplicateNumberAndGroupWritable_RefusedWithTheReasons()
    {
        using var dir = new TempDir();
        Script(dir, "10.a", "exit 0");
        Script(dir, "10.b", "exit 0");
        var open = Script(dir, "20.open", "exit 0");
        File.SetUnixFileMode(open, Exec | UnixFileMode.GroupWrite);
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, dir.File("events.d")));

        var (code, output, err) = await CliRunner.RunAsync("events", "scripts", "--json", "--socket", Socket(dir));

        Assert.True(code == 0, err);
        var view = JsonDocument.Parse(output).RootElement;
        var status = view.GetProperty("scripts").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("status").GetString());
        Assert.Equal("refused: shares 10 with 10.b", status["10.a"]);
        Assert.Equal("refused: writable by group or others (0720)", status["20.open"]);
        Assert.Equal(1, view.GetProperty("errors").GetArrayLength()); // the shared NN refuses the run; the open script only itself
        var (_, text, _) = await CliRunner.RunAsync("events", "scripts", "--socket", Socket(dir));
        Assert.Contains("refused: event scripts", text);
    }

    [Fact]
    public async Task EventsScripts_MissingDirectory_SaysSoAndTheDaemonRuns()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, dir.File("no-such-dir")));
        await daemon.State.Events!.Started.WaitAsync(TimeSpan.FromSeconds(30));

        var (code, text, err) = await CliRunner.RunAsync("events", "scripts", "--socket", Socket(dir));

        Assert.True(code == 0, err);
        Assert.Equal($"{dir.File("no-such-dir")} does not exist: no event scripts run", text.Trim());
        Assert.Equal(0, await daemon.StopAsync());
        var warnings = File.ReadAllLines(dir.File("haven.log")).Where(l => l.Contains("does not exist: no event scripts run")).ToList();
        Assert.Single(warnings);
        Assert.Contains(dir.File("no-such-dir"), warnings[0]);
    }

    [Theory]
    [InlineData("monitor-interval = 0s", "haven.events.monitor-interval")]
    [InlineData("healthy-after = 0", "haven.events.healthy-after")]
    [InlineData("script-timeout = 0s", "haven.events.script-timeout")]
    [InlineData("scripts-dir = \"\"", "haven.events.scripts-dir")]
    public void Settings_BadValue_RefusedNamingTheKey(string line, string key)
    {
        var config = HoconParser.Parse($"haven.events {{ {line} }}", "test.conf");

        var e = Assert.Throws<ConfigException>(() => EventsSettings.From(config));

        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Settings_Defaults_AreCtdbs()
    {
        var settings = EventsSettings.From(Haven.Actors.Configuration.Config.Empty);

        Assert.Equal(new EventsSettings("/etc/haven/events.d", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(15), 2), settings);
    }
}
