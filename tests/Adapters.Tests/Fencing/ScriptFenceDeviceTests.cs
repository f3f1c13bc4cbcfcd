using Haven.Actors.Fencing;
using Haven.Adapters.Fencing;

namespace Haven.Adapters.Tests.Fencing;

/// <summary>HA-Lizard's custom script interface: DIR/NAME/NAME.sh HOST start|stop|reset and NAME.hosts.</summary>
public sealed class ScriptFenceDeviceTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly TempFenceDirectory dir = new();
    private readonly string calls;

    public ScriptFenceDeviceTests()
    {
        calls = dir.File("calls.txt");
        File.WriteAllText(dir.File("POWEROFF/POWEROFF.hosts").EnsureDirectory(), "# host:address\nnode1:192.0.2.11\nnode2:192.0.2.12\n");
    }

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData(FenceAction.Off, "stop")]
    [InlineData(FenceAction.On, "start")]
    [InlineData(FenceAction.Reboot, "reset")]
    public async Task Execute_ScriptExits0_SucceedsWithHostVerbAndAddress(FenceAction action, string verb)
    {
        Write("""echo "$1 $2 $HAVEN_FENCE_ADDRESS" >> CALLS; exit 0""");
        var outcome = await Device().ExecuteAsync("node2", action, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal([$"node2 {verb} 192.0.2.12"], File.ReadAllLines(calls));
    }

    [Fact]
    public async Task Off_ScriptExits1_FailsWithItsLastLine()
    {
        Write("""echo "ilo unreachable" >&2; exit 1""");
        var outcome = await Device().ExecuteAsync("node1", FenceAction.Off, CancellationToken.None);
        Assert.False(outcome.Success);
        Assert.Contains("stop node1 exited 1: ilo unreachable", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Off_ScriptWritableByGroup_IsRefusedAndNotRun()
    {
        Write("echo ran >> CALLS; exit 0", OwnerOnly | UnixFileMode.GroupWrite);
        var error = await Assert.ThrowsAsync<FenceDeviceException>(() => Device().ExecuteAsync("node1", FenceAction.Off, CancellationToken.None));
        Assert.Contains("is writable by group or others (mode 0720); refusing to trust it", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(calls));
        Assert.False((await Device().CheckAsync(CancellationToken.None)).Healthy);
    }

    [Fact]
    public async Task Off_ScriptWritableByOthers_IsRefused()
    {
        Write("exit 0", OwnerOnly | UnixFileMode.OtherWrite);
        await Assert.ThrowsAsync<FenceDeviceException>(() => Device().ExecuteAsync("node1", FenceAction.Off, CancellationToken.None));
    }

    [Fact]
    public async Task Off_HostNotInTheHostsFile_ThrowsNamingTheKnownHosts()
    {
        Write("echo ran >> CALLS; exit 0");
        var error = await Assert.ThrowsAsync<FenceDeviceException>(() => Device().ExecuteAsync("node7", FenceAction.Off, CancellationToken.None));
        Assert.Contains("host node7 is not listed in", error.Message, StringComparison.Ordinal);
        Assert.Contains("(known: node1, node2)", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(calls));
    }

    [Fact]
    public async Task Off_BadHostsLine_NamesTheLine()
    {
        Write("exit 0");
        File.AppendAllText(dir.File("POWEROFF/POWEROFF.hosts"), "node3 192.0.2.13\n");
        var error = await Assert.ThrowsAsync<FenceDeviceException>(() => Device().ExecuteAsync("node1", FenceAction.Off, CancellationToken.None));
        Assert.Contains("POWEROFF.hosts:4: expected host:address, found \"node3 192.0.2.13\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Off_MissingScript_Throws()
    {
        var error = await Assert.ThrowsAsync<FenceDeviceException>(() => Device().ExecuteAsync("node1", FenceAction.Off, CancellationToken.None));
        Assert.Contains("POWEROFF/POWEROFF.sh does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Off_ScriptHangs_TimesOutAsAFailure()
    {
        Write("sleep 300");
        var device = new ScriptFenceDevice("poweroff", new ScriptFenceOptions { Directory = dir.Path, ScriptName = "POWEROFF", Timeout = TimeSpan.FromMilliseconds(300) });
        var outcome = await device.ExecuteAsync("node1", FenceAction.Off, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(outcome.Success);
        Assert.Contains("timed out after 0.3 s (process group killed)", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Off_Password_ArrivesOnStdinNotInArguments()
    {
        Write("""read -r line; echo "$line|$*" >> CALLS; exit 0""");
        var device = new ScriptFenceDevice("poweroff", new ScriptFenceOptions { Directory = dir.Path, ScriptName = "POWEROFF", Password = "scr1pt-pw" });
        Assert.True((await device.ExecuteAsync("node1", FenceAction.Off, CancellationToken.None)).Success);
        Assert.Equal(["password=scr1pt-pw|node1 stop"], File.ReadAllLines(calls));
    }

    [Fact]
    public async Task List_ReadsTheHostsFile()
    {
        Write("exit 0");
        Assert.Equal(["node1", "node2"], await Device().ListHostsAsync(CancellationToken.None));
        Assert.True((await Device().CheckAsync(CancellationToken.None)).Healthy);
    }

    private void Write(string body, UnixFileMode? mode = null)
    {
        dir.Script("POWEROFF/POWEROFF.sh", body.Replace("CALLS", calls, StringComparison.Ordinal), mode);
        if (mode is { } m)
        {
            File.SetUnixFileMode(dir.File("POWEROFF/POWEROFF.sh"), m); // past the umask
        }
    }

    private ScriptFenceDevice Device() => new("poweroff", new ScriptFenceOptions { Directory = dir.Path, ScriptName = "POWEROFF", Timeout = TimeSpan.FromSeconds(10) });
}

internal static class PathExtensions
{
    public static string EnsureDirectory(this string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        return file;
    }
}
