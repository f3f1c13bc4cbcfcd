using System.Collections.Immutable;
using Haven.Actors.Fencing;
using Haven.Host.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Host.Tests;

/// <summary>
/// reboot-lone-host's daemon side. Nothing here reboots this machine: the reboot command is a stand-in script
/// in a temp dir that records its argv, and the watchdog is a regular file.
/// </summary>
public sealed class SelfRebootTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly TempDir _dir = new();

    private string Record => _dir.File("argv.txt");

    /// <summary>A stand-in that writes each of its arguments on a line of <see cref="Record"/> and exits with <paramref name="exit"/>.</summary>
    private string StandIn(string name = "fake-reboot", int exit = 0, UnixFileMode mode = OwnerOnly, string? dir = null)
    {
        var path = Path.Combine(dir ?? _dir.Path, name);
        File.WriteAllText(path, $"""
            #!/bin/sh
            echo "--- $(basename "$0")" >> "{Record}"
            for a in "$@"; do printf '%s\n' "$a" >> "{Record}"; done
            [ {exit} -eq 0 ] || echo "cannot reboot: permission denied" >&2
            exit {exit}
            """);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static DaemonSelfReboot Adapter(ImmutableArray<string> command, DaemonWatchdog? watchdog = null, string? searchPath = null) =>
        new(watchdog, command, NullLogger.Instance, searchPath);

    private string[] Recorded => File.Exists(Record) ? File.ReadAllLines(Record) : [];

    [Fact]
    public async Task RebootAsync_NoWatchdog_RunsTheCommandWithItsArgumentsAsArgvNeverThroughAShell()
    {
        var script = StandIn();
        var pwned = _dir.File("pwned");

        await Adapter([script, "reboot", "--force", $"a b; touch {pwned}", "$HOME"]).RebootAsync("alone", CancellationToken.None);

        Assert.Equal(["--- fake-reboot", "reboot", "--force", $"a b; touch {pwned}", "$HOME"], Recorded);
        Assert.False(File.Exists(pwned));
    }

    [Fact]
    public async Task RebootAsync_BareName_IsLookedUpInThePathAndRunsOnce()
    {
        var bin = Directory.CreateDirectory(_dir.File("bin")).FullName;
        StandIn(dir: bin);
        var reboot = Adapter(["fake-reboot", "now"], searchPath: $"{_dir.File("missing")}:relative:{bin}");

        await reboot.RebootAsync("alone", CancellationToken.None);
        await reboot.RebootAsync("alone again", CancellationToken.None); // a reboot is under way: nothing more

        Assert.Equal(["--- fake-reboot", "now"], Recorded);
    }

    [Fact]
    public async Task RebootAsync_BareNameNotInThePath_FailsNamingTheSettingAndThePath()
    {
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            Adapter(["fake-reboot"], searchPath: _dir.File("missing")).RebootAsync("alone", CancellationToken.None));
        Assert.Contains("haven.fencing.reboot-command: fake-reboot is not found in PATH", e.Message);
    }

    [Theory]
    [InlineData(UnixFileMode.OtherWrite)]
    [InlineData(UnixFileMode.GroupWrite)]
    public async Task RebootAsync_ProgramWritableByOthers_RefusedAndNotRun(UnixFileMode extra)
    {
        var script = StandIn(mode: OwnerOnly | extra);

        var e = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Adapter([script]).RebootAsync("alone", CancellationToken.None));

        Assert.Contains($"{script} is writable by group or others", e.Message);
        Assert.Contains("chmod go-w", e.Message);
        Assert.Empty(Recorded);
    }

    [Fact]
    public async Task RebootAsync_LinkToAProgramOthersMayWrite_Refused()
    {
        var script = StandIn(mode: OwnerOnly | UnixFileMode.OtherWrite);
        var link = _dir.File("reboot-link");
        File.CreateSymbolicLink(link, script);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Adapter([link]).RebootAsync("alone", CancellationToken.None));
        Assert.Empty(Recorded);
    }

    [Fact]
    public async Task RebootAsync_CommandFails_FaultsWithExitCodeAndStderr_ALaterRequestTriesAgain()
    {
        var script = StandIn(exit: 3);
        var reboot = Adapter([script, "x"]);

        var e = await Assert.ThrowsAsync<IOException>(() => reboot.RebootAsync("alone", CancellationToken.None));
        Assert.Contains("exited with 3: cannot reboot: permission denied", e.Message);
        await Assert.ThrowsAsync<IOException>(() => reboot.RebootAsync("alone", CancellationToken.None));

        Assert.Equal(["--- fake-reboot", "x", "--- fake-reboot", "x"], Recorded);
    }

    [Fact]
    public async Task RebootAsync_WatchdogArmed_StopsPettingAndRunsNoCommand()
    {
        var device = _dir.File("watchdog");
        File.WriteAllBytes(device, []);
        var settings = new WatchdogSettings { Enabled = true, Device = device, Timeout = TimeSpan.FromSeconds(30), DemoteTimeout = TimeSpan.FromSeconds(10) };
        using var watchdog = DaemonWatchdog.Start(settings, NullLoggerFactory.Instance)!;
        Assert.True(watchdog.Armed);
        Assert.False(watchdog.Starving);

        await Adapter([StandIn()], watchdog).RebootAsync("alone", CancellationToken.None);

        Assert.True(watchdog.Starving);
        Assert.Empty(Recorded);
    }

    [Fact]
    public void Constructor_BadCommand_RefusedNamingTheSetting()
    {
        var e = Assert.Throws<ArgumentException>(() => Adapter(["bin/reboot"]));
        Assert.Contains("haven.fencing.reboot-command: the command \"bin/reboot\" is a relative path", e.Message);
    }

    public void Dispose() => _dir.Dispose();
}
