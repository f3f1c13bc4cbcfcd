using System.CommandLine;
using System.Text.Json;
using Haven.Host.Cli;

namespace Haven.Host.Tests;

/// <summary>
/// `haven fence …` against a one-host daemon with fencing on: HA-Lizard style scripts written in the test's
/// folder (one exits 0 and logs its call, one exits 1) and a pool device. No hardware, nothing leaves the host.
/// </summary>
public class FenceVerbTests
{
    private const string Secret = "s3cret-pw-4711";

    private static string Socket(TempDir dir) => dir.File("haven.sock");

    private static string Calls(TempDir dir) => dir.File("calls.log");

    /// <summary>An owner-only script DIR/fence/NAME/NAME.sh that logs "HOST VERB" and exits with <paramref name="exit"/>, and its host map.</summary>
    private static void WriteScript(TempDir dir, string name, int exit)
    {
        var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "fence", name)).FullName;
        var script = Path.Combine(folder, name + ".sh");
        File.WriteAllText(script, $"#!/bin/sh\necho \"{name} $1 $2\" >> '{Calls(dir)}'\necho 'power controller says {name}'\nexit {exit}\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(folder, name + ".hosts"), "solo:127.0.0.1\n");
    }

    private static string Config(TempDir dir, string topology, bool enabled = true)
    {
        WriteScript(dir, "good", 0);
        WriteScript(dir, "bad", 1);
        var secrets = dir.WriteConfig("secrets.conf", $"good.password = \"{Secret}\"\n");
        return dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = lab, node-name = solo, transport = simulated }
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{Socket(dir)}}"
              split-brain-resolver.stable-after = 100ms
              logging.console = off
              fencing {
                enabled = {{(enabled ? "on" : "off")}}
                secrets-file = "{{secrets}}"
                device-timeout = 20s
                device-retries = 0
                devices {
                  good { type = script, directory = "{{dir.File("fence")}}", script = good }
                  bad { type = script, directory = "{{dir.File("fence")}}", script = bad }
                  p1 { type = pool }
                }
                topology { {{topology}} }
              }
            }
            """);
    }

    private static string[] CallsOf(TempDir dir) => File.Exists(Calls(dir)) ? File.ReadAllLines(Calls(dir)) : [];

    [Fact]
    public async Task FenceList_ScriptAndPoolDevices_ShowsDevicesAndLevelsButNoSecret()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[bad], [good, p1]]"));

        var (code, output, err) = await CliRunner.RunAsync("fence", "list", "--json", "--socket", Socket(dir));
        Assert.True(code == 0, err);
        var view = JsonDocument.Parse(output).RootElement;
        Assert.True(view.GetProperty("enabled").GetBoolean());
        Assert.Equal("off", view.GetProperty("action").GetString());
        var devices = view.GetProperty("devices").EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!);
        Assert.Equal(["bad", "good", "p1"], devices.Keys.Order());
        Assert.Equal("script", devices["good"].GetProperty("type").GetString());
        Assert.Equal(Path.Combine(dir.File("fence"), "good", "good.sh"), devices["good"].GetProperty("address").GetString());
        Assert.Equal("pool", devices["p1"].GetProperty("type").GetString());
        var host = Assert.Single(view.GetProperty("topology").EnumerateArray());
        Assert.Equal("solo", host.GetProperty("host").GetString());
        var levels = host.GetProperty("levels").EnumerateArray().Select(l => l.EnumerateArray().Select(d => d.GetString()).ToArray()).ToArray();
        Assert.Equal([["bad"], ["good", "p1"]], levels);
        Assert.DoesNotContain(Secret, output);

        var (tableCode, table, _) = await CliRunner.RunAsync("fence", "list", "--socket", Socket(dir));
        Assert.Equal(0, tableCode);
        Assert.Contains("fencing on", table);
        Assert.Contains("good + p1", table);
        Assert.DoesNotContain(Secret, table);
    }

    [Fact]
    public async Task FenceCheck_AllDevicesHealthy_Exits0WithOneOkLineEach()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[good]]"));

        var (code, output, err) = await CliRunner.RunAsync("fence", "check", "--socket", Socket(dir));
        Assert.True(code == 0, err + output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("OK", l));
        Assert.Contains(lines, l => l.Contains("good (script)") && l.Contains("1 host(s)"));
        Assert.Empty(CallsOf(dir)); // a check never runs a fence action
    }

    [Fact]
    public async Task FenceCheck_ScriptMissing_Exits1NamingTheDeviceAndWhy()
    {
        using var dir = new TempDir();
        var config = Config(dir, "solo = [[good]]");
        File.Delete(Path.Combine(dir.File("fence"), "bad", "bad.sh"));
        await using var daemon = await RunningDaemon.StartAsync(config);

        var (code, output, _) = await CliRunner.RunAsync("fence", "check", "--json", "--socket", Socket(dir));
        Assert.Equal(1, code);
        var checks = JsonDocument.Parse(output).RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.False(checks["bad"].GetProperty("ok").GetBoolean());
        Assert.Contains("does not exist", checks["bad"].GetProperty("detail").GetString());
        Assert.True(checks["good"].GetProperty("ok").GetBoolean());

        var (_, table, _) = await CliRunner.RunAsync("fence", "check", "--socket", Socket(dir));
        Assert.Contains(table.Split('\n'), l => l.StartsWith("ERROR") && l.Contains("bad (script)") && l.Contains("does not exist"));
    }

    [Fact]
    public async Task Fence_WithYes_RunsTheScriptAndHistoryRecordsRequestAndSuccess()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[bad], [good]]"));

        var (code, output, err) = await CliRunner.RunAsync("fence", "solo", "--yes", "--socket", Socket(dir));
        Assert.True(code == 0, err);
        Assert.Matches(@"^fenced solo \(off\) via good in [0-9.]+ s", output);
        Assert.Equal(["bad solo stop", "good solo stop"], CallsOf(dir)); // level 1 failed, level 2 fenced

        var (historyCode, json, _) = await CliRunner.RunAsync("fence", "history", "--json", "--socket", Socket(dir));
        Assert.Equal(0, historyCode);
        var records = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.Equal(["requested", "succeeded"], records.Select(r => r.GetProperty("kind").GetString()));
        Assert.Equal("off", records[0].GetProperty("action").GetString());
        Assert.Contains("operator", records[0].GetProperty("reason").GetString());
        Assert.Equal("good", records[1].GetProperty("device").GetString());
        Assert.Equal(2, records[1].GetProperty("level").GetInt32());
        Assert.True(records[1].GetProperty("durationSeconds").GetDouble() >= 0);

        var (_, table, _) = await CliRunner.RunAsync("fence", "history", "--socket", Socket(dir));
        Assert.Contains("via good (level 2)", table);
    }

    [Fact]
    public async Task FenceHistory_SurvivesADaemonRestart()
    {
        using var dir = new TempDir();
        var config = Config(dir, "solo = [[good]]");
        await using (var daemon = await RunningDaemon.StartAsync(config))
        {
            var (code, _, err) = await CliRunner.RunAsync("fence", "solo", "--yes", "--socket", Socket(dir));
            Assert.True(code == 0, err);
        }

        await using var again = await RunningDaemon.StartAsync(config);
        var (_, json, _) = await CliRunner.RunAsync("fence", "history", "--json", "--socket", Socket(dir));
        var records = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.Equal(["requested", "succeeded"], records.Select(r => r.GetProperty("kind").GetString()));
        Assert.Equal("good", records[1].GetProperty("device").GetString());
        var (_, events, _) = await CliRunner.RunAsync("events", "--json", "--socket", Socket(dir));
        Assert.Contains("fence-history.succeeded.v1", events);
    }

    [Fact]
    public async Task Fence_ActionReboot_AsksTheScriptToReset()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "\"*\" = [[good]]"));

        var (code, output, err) = await CliRunner.RunAsync("fence", "solo", "--action", "reboot", "--yes", "--socket", Socket(dir));
        Assert.True(code == 0, err);
        Assert.Contains("(reboot) via good", output);
        Assert.Equal(["good solo reset"], CallsOf(dir));
    }

    [Fact]
    public async Task Fence_EveryLevelFails_Exits1WithTheReasonAndHistoryRecordsTheFailure()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[bad]]"));

        var (code, output, err) = await CliRunner.RunAsync("fence", "solo", "--yes", "--socket", Socket(dir));
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("fencing solo (off) failed", err);
        Assert.Contains("exited 1: power controller says bad", err);

        var (_, json, _) = await CliRunner.RunAsync("fence", "history", "--json", "--socket", Socket(dir));
        var last = JsonDocument.Parse(json).RootElement.EnumerateArray().Last();
        Assert.Equal("failed", last.GetProperty("kind").GetString());
        Assert.Contains("every fencing level failed", last.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Fence_PoolDevice_SucceedsSayingItIsMembershipOnly()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[p1]]"));

        var (code, output, err) = await CliRunner.RunAsync("fence", "solo", "--yes", "--socket", Socket(dir));
        Assert.True(code == 0, err);
        Assert.Contains("via p1", output);
        Assert.Contains("membership removal only", output);
        Assert.Equal($"haven: warning: solo is THIS host (the daemon at {Socket(dir)} runs on it): fencing it switches off the machine you are on", err.Trim());
        Assert.Empty(CallsOf(dir));
    }

    [Fact]
    public async Task Fence_UnknownNode_Exits1NamingTheKnownNodes()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "\"*\" = [[good]]"));

        var (code, _, err) = await CliRunner.RunAsync("fence", "ghost", "--yes", "--socket", Socket(dir));
        Assert.Equal(1, code);
        Assert.Contains("unknown node 'ghost'; known nodes: solo", err);
        Assert.Empty(CallsOf(dir));
    }

    [Fact]
    public async Task Fence_WithoutYesAndNoTerminal_RefusesWithoutAskingTheDaemon()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[good]]"));
        var terminal = new FakeTerminal(isTerminal: false, answer: "solo");

        var (code, _, err) = await RunWithTerminal(terminal, "fence", "solo", "--socket", Socket(dir));
        Assert.Equal(1, code);
        Assert.Contains("refusing to fence solo without --yes: no terminal to confirm on", err);
        Assert.Empty(terminal.Prompts);
        Assert.Empty(CallsOf(dir));
    }

    [Fact]
    public async Task Fence_ConfirmedOnTheTerminal_Fences()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[good]]"));
        var terminal = new FakeTerminal(isTerminal: true, answer: "solo");

        var (code, output, err) = await RunWithTerminal(terminal, "fence", "solo", "--socket", Socket(dir));
        Assert.True(code == 0, err);
        Assert.Contains("fenced solo (off) via good", output);
        Assert.Contains("WARNING: solo is THIS host", Assert.Single(terminal.Prompts));
        Assert.Equal(["good solo stop"], CallsOf(dir));
    }

    [Fact]
    public async Task Fence_NotConfirmedOnTheTerminal_DoesNotFence()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[good]]"));
        var terminal = new FakeTerminal(isTerminal: true, answer: "no");

        var (code, _, err) = await RunWithTerminal(terminal, "fence", "solo", "--socket", Socket(dir));
        Assert.Equal(1, code);
        Assert.Contains("not fencing solo: not confirmed", err);
        Assert.Empty(CallsOf(dir));
    }

    [Fact]
    public async Task Fence_FencingDisabled_FenceAndCheckFailSayingSoAndListSaysOff()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[good]]", enabled: false));

        var (code, _, err) = await CliRunner.RunAsync("fence", "solo", "--yes", "--socket", Socket(dir));
        Assert.Equal(1, code);
        Assert.Contains("fencing is off (haven.fencing.enabled = off): solo cannot be fenced", err);
        Assert.Empty(CallsOf(dir));

        var (checkCode, _, checkErr) = await CliRunner.RunAsync("fence", "check", "--socket", Socket(dir));
        Assert.Equal(1, checkCode);
        Assert.Contains("fencing is off", checkErr);

        var (listCode, list, _) = await CliRunner.RunAsync("fence", "list", "--json", "--socket", Socket(dir));
        Assert.Equal(0, listCode);
        Assert.False(JsonDocument.Parse(list).RootElement.GetProperty("enabled").GetBoolean());

        var (_, history, _) = await CliRunner.RunAsync("fence", "history", "--json", "--socket", Socket(dir));
        Assert.Empty(JsonDocument.Parse(history).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Fence_WithoutNode_IsAUsageError()
    {
        var (code, _, err) = await CliRunner.RunAsync("fence", "--yes");
        Assert.Equal(2, code);
        Assert.Contains("NODE", err);
    }

    [Fact]
    public async Task Fence_UnknownAction_IsAUsageError()
    {
        var (code, _, err) = await CliRunner.RunAsync("fence", "solo", "--action", "explode", "--yes");
        Assert.Equal(2, code);
        Assert.Contains("explode", err);
    }

    [Fact]
    public async Task FenceConfirm_ThisHost_IsRefusedByTheDaemonAndNothingJournaled()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "solo = [[good]]", enabled: false));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");

        var (code, _, err) = await CliRunner.RunAsync("fence", "confirm", "solo", "--reason", "it is off", "--yes", "--socket", Socket(dir));
        Assert.Equal(1, code);
        Assert.Contains("node solo is this host: it cannot confirm itself off", err);
        var (unknown, _, unknownErr) = await CliRunner.RunAsync("fence", "confirm", "ghost", "--reason", "it is off", "--yes", "--socket", Socket(dir));
        Assert.Equal(1, unknown);
        Assert.Contains("unknown node 'ghost'", unknownErr);

        var (_, events, _) = await CliRunner.RunAsync("events", "--json", "--socket", Socket(dir));
        Assert.DoesNotContain("fence-confirmed", events);
        Assert.Empty(CallsOf(dir));
    }

    [Theory]
    [InlineData(new[] { "fence", "confirm", "n2", "--yes" }, "--reason")]
    [InlineData(new[] { "fence", "confirm", "n2", "--yes", "--reason", "  " }, "a reason is needed")]
    public async Task FenceConfirm_WithoutAReason_IsAUsageError(string[] args, string expected)
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliRunner.RunAsync([.. args, "--socket", dir.File("none.sock")]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public async Task FenceConfirm_WithoutYesAndNoTerminal_RefusesWithoutAskingTheDaemon()
    {
        using var dir = new TempDir();
        var terminal = new FakeTerminal(isTerminal: false, answer: "n2");

        var (code, _, err) = await RunWithTerminal(terminal, "fence", "confirm", "n2", "--reason", "off", "--socket", dir.File("none.sock"));
        Assert.Equal(1, code);
        Assert.Contains("refusing to confirm n2 off without --yes: no terminal to confirm on", err);
        Assert.Empty(terminal.Prompts);
    }

    [Fact]
    public async Task FenceConfirm_NotTypedOnTheTerminal_ConfirmsNothing()
    {
        using var dir = new TempDir();
        var terminal = new FakeTerminal(isTerminal: true, answer: "n3");

        var (code, _, err) = await RunWithTerminal(terminal, "fence", "confirm", "n2", "--reason", "off", "--socket", dir.File("none.sock"));
        Assert.Equal(1, code);
        Assert.Contains("not confirming n2 off: not confirmed", err);
        Assert.Contains("Type the node name", Assert.Single(terminal.Prompts));
    }

    /// <summary>Runs `haven fence …` with <paramref name="terminal"/> as the confirmation terminal, mapping errors as HavenCli does.</summary>
    private static async Task<(int Code, string Out, string Err)> RunWithTerminal(FakeTerminal terminal, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var root = new RootCommand { FenceVerb.Build(new CliContext(output, error), terminal) };
        var parsed = root.Parse(args);
        Assert.Empty(parsed.Errors);
        try
        {
            var code = await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
            return (code, output.ToString(), error.ToString());
        }
        catch (CliException e)
        {
            return (e.ExitCode, output.ToString(), error + e.Message);
        }
    }

    private sealed class FakeTerminal(bool isTerminal, string answer) : IConfirmTerminal
    {
        public List<string> Prompts { get; } = [];

        public bool IsTerminal => isTerminal;

        public string? Ask(string prompt)
        {
            Prompts.Add(prompt);
            return answer;
        }
    }
}
