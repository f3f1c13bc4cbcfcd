using Haven.Actors.Fencing;
using Haven.Actors.Runtime;
using Haven.Adapters.Fencing;
using Haven.Adapters.Tests.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Fencing;

/// <summary>The fence-agents stdin protocol with Debian's fence_dummy and with agents written here.</summary>
public sealed class FenceAgentDeviceTests : IDisposable
{
    private const string Password = "agent-pa55word";
    private readonly TempFenceDirectory dir = new();

    public FenceAgentDeviceTests()
    {
        if (!File.Exists("/usr/sbin/fence_dummy"))
        {
            throw new InvalidOperationException("fence_dummy is not installed: these tests need Debian's package fence-agents (apt-get install fence-agents)");
        }
    }

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Off_FenceDummyOn_SwitchesOffAndVerifiesWithStatus()
    {
        var status = DummyStatus("on");
        var device = Dummy(status);
        var outcome = await device.ExecuteAsync("node2", FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal("off", File.ReadAllText(status));
        Assert.Equal(PowerState.Off, await device.GetPowerStateAsync("node2", CancellationToken.None));
    }

    [Fact]
    public async Task On_FenceDummyOff_SwitchesOn()
    {
        var status = DummyStatus("off");
        var device = Dummy(status);
        var outcome = await device.ExecuteAsync("node2", FenceAction.On, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal(PowerState.On, await device.GetPowerStateAsync("node2", CancellationToken.None));
    }

    [Fact]
    public async Task Reboot_FenceDummyOn_EndsOnAfterAVerifiedOff()
    {
        var status = DummyStatus("on");
        var outcome = await Dummy(status).ExecuteAsync("node2", FenceAction.Reboot, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Contains("status reads off", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal("on", File.ReadAllText(status));
    }

    [Fact]
    public async Task Off_FenceDummyOfTypeFail_Fails()
    {
        var device = new FenceAgentDevice("dummy", new FenceAgentOptions
        {
            Agent = "fence_dummy",
            Options = new Dictionary<string, string> { ["type"] = "fail", ["power_timeout"] = "1" },
            Timeout = TimeSpan.FromSeconds(30),
        });
        var outcome = await device.ExecuteAsync("node2", FenceAction.Off, CancellationToken.None);
        Assert.False(outcome.Success);
        Assert.Contains("fence_dummy action=off for node2 failed: exit code 1", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Off_AgentSaysDoneButStatusReadsOn_Fails()
    {
        var agent = dir.Script("fence_liar", """
            while IFS='=' read -r k v; do [ "$k" = action ] && action=$v; done
            [ "$action" = status ] && exit 0   # "on"
            exit 0
            """);
        var outcome = await Agent(agent).ExecuteAsync("node2", FenceAction.Off, CancellationToken.None);
        Assert.False(outcome.Success);
        Assert.Contains("returned 0 but status reads on", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_GoOnStdinOnly_AndAreBlankedFromDetails()
    {
        var stdin = dir.File("stdin.txt");
        var argv = dir.File("argv.txt");
        var agent = dir.Script("fence_recorder", $$"""
            echo "$0 $*" >> {{argv}}
            cat /proc/$$/cmdline | tr '\0' ' ' >> {{argv}}
            while IFS='=' read -r k v; do echo "$k=$v" >> {{stdin}}; [ "$k" = action ] && action=$v; [ "$k" = password ] && pw=$v; done
            echo "login failed for password $pw" >&2
            exit 1
            """);
        var logger = new RecordingLogger<FenceAgentDevice>();
        var device = new FenceAgentDevice("rec", new FenceAgentOptions
        {
            Agent = agent, IpAddress = "192.0.2.7", Login = "admin", Password = Password,
            Plugs = new Dictionary<string, string> { ["node2"] = "7" },
        }, logger);
        var outcome = await device.ExecuteAsync("node2", FenceAction.Off, CancellationToken.None);
        Assert.False(outcome.Success);
        Assert.Equal(["action=off", "plug=7", "ipaddr=192.0.2.7", "login=admin", $"password={Password}"], File.ReadAllLines(stdin));
        Assert.DoesNotContain(Password, File.ReadAllText(argv), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, outcome.Detail, StringComparison.Ordinal);
        Assert.Contains("login failed for password ***", outcome.Detail, StringComparison.Ordinal);
        Assert.All(logger.Entries, e => Assert.DoesNotContain(Password, e.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(Password, new FenceAgentOptions { Agent = "x", Password = Password }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Off_AgentOwnedByAnotherUserOrWritableByOthers_RefusedAndNotRun()
    {
        var ran = dir.File("ran");
        var theirs = dir.Script("fence_theirs", $"touch {ran}");
        Haven.Adapters.Tests.Configuration.FileTrustTests.Chown(theirs, 65534);
        var open = dir.Script("fence_open", $"touch {ran}", (UnixFileMode)Convert.ToInt32("777", 8));
        foreach (var (agent, why) in new[] { (theirs, "is owned by uid 65534"), (open, "is writable by group or others (mode 0777)") })
        {
            var device = new FenceAgentDevice("x", new FenceAgentOptions { Agent = agent });
            var e = Assert.Throws<FenceDeviceException>(device.ResolveAgent);
            Assert.Contains($"fence agent {agent} {why}", e.Message, StringComparison.Ordinal);
            try
            {
                Assert.False((await device.ExecuteAsync("node2", FenceAction.Off, CancellationToken.None)).Success);
            }
            catch (FenceDeviceException)
            {
                // refused before anything ran: as good as a failed outcome
            }
        }
        Assert.False(File.Exists(ran), "an untrusted agent ran");
    }

    [Fact]
    public async Task Off_AgentHangs_TimesOutAndKillsItsProcessGroup()
    {
        var child = dir.File("child.pid");
        var agent = dir.Script("fence_hang", $"""
            sleep 300 &
            echo $! > {child}
            sleep 300
            """);
        var clock = new VirtualClock();
        var device = new FenceAgentDevice("hang", new FenceAgentOptions { Agent = agent, Timeout = TimeSpan.FromMilliseconds(500) }, time: clock);
        var run = device.ExecuteAsync("node2", FenceAction.Off, CancellationToken.None);
        // Virtual time: the timeout passes once the agent has its child and its timer is armed, however slow the
        // machine (with a real 500 ms the agent could be killed before it wrote the child's pid).
        Assert.True(SpinWait.SpinUntil(() => File.Exists(child) && File.ReadAllText(child).EndsWith('\n') && clock.NextDue is not null, TimeSpan.FromSeconds(20)),
            "the agent never started its child");
        clock.Advance(TimeSpan.FromMilliseconds(500));
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(outcome.Success);
        Assert.Contains("timed out after 0.5 s (process group killed)", outcome.Detail, StringComparison.Ordinal);
        var pid = int.Parse(File.ReadAllText(child).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // SIGKILL is delivered when the child next runs: give a loaded machine time (the child would live 300 s).
        Assert.True(SpinWait.SpinUntil(() => !IsAlive(pid), TimeSpan.FromSeconds(10)), $"the agent's background child {pid} survived the timeout");
    }

    [Fact]
    public async Task Off_AgentHangsWithASetsidChild_TimeoutKillsTheChildThatLeftTheGroup()
    {
        // the child runs in a session (and process group) of its own: a kill of the agent's group alone would miss it
        var child = dir.File("escaped.pid");
        var agent = dir.Script("fence_escape", $"""
            setsid sleep 300 &
            echo $! > {child}
            sleep 300
            """);
        var clock = new VirtualClock();
        var device = new FenceAgentDevice("escape", new FenceAgentOptions { Agent = agent, Timeout = TimeSpan.FromMilliseconds(500) }, time: clock);
        var run = device.ExecuteAsync("node2", FenceAction.Off, CancellationToken.None);
        Assert.True(SpinWait.SpinUntil(() => File.Exists(child) && File.ReadAllText(child).EndsWith('\n') && clock.NextDue is not null, TimeSpan.FromSeconds(20)),
            "the agent never started its child");
        var pid = int.Parse(File.ReadAllText(child).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            Assert.True(SpinWait.SpinUntil(() => Session(pid) == pid, TimeSpan.FromSeconds(10)), $"the child {pid} never left the agent's session");
            clock.Advance(TimeSpan.FromMilliseconds(500));
            var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.False(outcome.Success);
            Assert.Contains("timed out after 0.5 s", outcome.Detail, StringComparison.Ordinal);
            Assert.True(SpinWait.SpinUntil(() => !IsAlive(pid), TimeSpan.FromSeconds(10)), $"the agent's setsid child {pid} survived the timeout");
        }
        finally
        {
            try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }

    /// <summary>The session id of a process (field 6 of /proc/PID/stat), or -1 once it is gone.</summary>
    private static int Session(int pid)
    {
        try
        {
            var fields = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].Split(' ');
            return int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    [Fact]
    public async Task Off_MissingAgent_ThrowsNamingThePackage()
    {
        var device = new FenceAgentDevice("x", new FenceAgentOptions { Agent = "fence_does_not_exist" });
        var error = await Assert.ThrowsAsync<FenceDeviceException>(() => device.ExecuteAsync("node2", FenceAction.Off, CancellationToken.None));
        Assert.Contains("not found in /usr/sbin, /usr/bin, /sbin (is the package fence-agents installed?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_FenceDummy_IsHealthy()
    {
        var health = await Dummy(DummyStatus("on")).CheckAsync(CancellationToken.None);
        Assert.True(health.Healthy, health.Detail);
    }

    [Fact]
    public void Constructor_OptionWithALineBreak_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new FenceAgentDevice("x", new FenceAgentOptions
        {
            Agent = "fence_dummy",
            Options = new Dictionary<string, string> { ["x"] = "1\naction=on" },
        }));

    private static bool IsAlive(int pid)
    {
        // A killed child may linger as a zombie until reaped; only a running process counts.
        var stat = $"/proc/{pid}/stat";
        return File.Exists(stat) && File.ReadAllText(stat).Split(") ")[^1].Split(' ')[0] is not "Z";
    }

    private string DummyStatus(string state)
    {
        var path = dir.File("dummy.status");
        File.WriteAllText(path, state);
        return path;
    }

    private static FenceAgentDevice Dummy(string statusFile) => new("dummy", new FenceAgentOptions
    {
        Agent = "fence_dummy",
        SendPlug = false,
        Options = new Dictionary<string, string> { ["status_file"] = statusFile },
        Timeout = TimeSpan.FromSeconds(30),
    });

    private static FenceAgentDevice Agent(string path) => new("test", new FenceAgentOptions { Agent = path, Timeout = TimeSpan.FromSeconds(10) });
}
