using System.Collections.Immutable;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Actors.Runtime;
using Haven.Adapters.Conntrack;
using Haven.Adapters.Tests.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Conntrack;

/// <summary>
/// The controller against a stand-in conntrackd written by the test: a shell script that appends its argv to a
/// record file, fails (stderr, exit 1) on the option named in a fail file, and hangs on the option named in a hang file.
/// </summary>
public sealed class ConntrackdControllerTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly string directory = Directory.CreateTempSubdirectory("hvct-").FullName;
    private readonly RecordingLogger<ConntrackdController> log = new();
    private readonly VirtualClock clock = new(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero));

    public ConntrackdControllerTests()
    {
        File.WriteAllText(Binary, $$"""
            #!/bin/sh
            echo "$*" >> '{{Record}}'
            if [ -f '{{FailOn}}' ] && [ "$3" = "$(cat '{{FailOn}}')" ]; then echo "can't connect: is conntrackd running?" >&2; exit 1; fi
            if [ -f '{{HangOn}}' ] && [ "$3" = "$(cat '{{HangOn}}')" ]; then exec sleep 60; fi
            if [ "$3" = "-s" ]; then echo "cache internal: current active connections: 7"; fi
            exit 0
            """);
        File.SetUnixFileMode(Binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string Binary => Path.Combine(directory, "conntrackd");

    private string Record => Path.Combine(directory, "record");

    private string FailOn => Path.Combine(directory, "fail-on");

    private string HangOn => Path.Combine(directory, "hang-on");

    private string StateFile => Path.Combine(directory, "state", "conntrack.state");

    private string Config => Path.Combine(directory, "conntrackd.conf");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private ConntrackdController Controller(TimeSpan? timeout = null, TimeProvider? time = null) => new(
        new ConntrackSettings { Binary = Binary, ConfigFile = Config, StateFile = StateFile, Group = ["192.0.2.10"], Timeout = timeout ?? TimeSpan.FromSeconds(10) },
        log,
        time ?? clock);

    private string[] Recorded() => File.Exists(Record) ? File.ReadAllLines(Record) : [];

    private static ConntrackPlan Promote => new(ConntrackTransition.Promote, ConntrackRole.Master, ConntrackCommands.Promote, "test");

    private static ConntrackPlan Demote => new(ConntrackTransition.Demote, ConntrackRole.Backup, ConntrackCommands.Demote, "test");

    [Fact]
    public async Task ExecuteAsync_Promote_RunsEachOptionInOrderWithTheConfigAndRecordsMaster()
    {
        var controller = Controller();

        await controller.ExecuteAsync(Promote, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal([$"-C {Config} -c", $"-C {Config} -f", $"-C {Config} -R", $"-C {Config} -B"], Recorded());
        Assert.Equal($"master {clock.GetUtcNow():O}\n", File.ReadAllText(StateFile));
        Assert.Equal(ConntrackRole.Master, controller.RecordedRole);
        Assert.Equal(new ConntrackStateRecord(ConntrackRole.Master, clock.GetUtcNow()), controller.ReadState());
        Assert.Contains(log.At(LogLevel.Information), m => m.Contains("Promote", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_DemoteAfterPromote_RecordsBackupWithTheNewTime()
    {
        var controller = Controller();
        await controller.ExecuteAsync(Promote, CancellationToken.None).WaitAsync(Bound);
        clock.Advance(TimeSpan.FromMinutes(5));

        await controller.ExecuteAsync(Demote, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(["-B", "-t", "-n"], Recorded().Skip(4).Select(l => l.Split(' ')[2]));
        Assert.Equal(new ConntrackStateRecord(ConntrackRole.Backup, clock.GetUtcNow()), controller.ReadState());
    }

    [Theory]
    [InlineData("world-writable")]
    [InlineData("another owner")]
    [InlineData("group-writable directory")]
    public async Task ExecuteAsync_UntrustedBinary_RefusedNamingTheSettingAndTheFile_NothingRuns(string how)
    {
        var expected = $"{ConntrackdController.BinaryKey} {Binary}";
        switch (how)
        {
            case "world-writable":
                File.SetUnixFileMode(Binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherWrite);
                expected += " is writable by group or others (mode 0702)";
                break;
            case "another owner":
                Haven.Adapters.Tests.Configuration.FileTrustTests.Chown(Binary, 65534);
                expected += " is owned by uid 65534";
                break;
            default:
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupWrite);
                expected += $": its directory {directory} is writable by group or others (mode 0720)";
                break;
        }
        var controller = Controller();

        var e = await Assert.ThrowsAsync<ConntrackdCommandException>(() => controller.ExecuteAsync(Promote, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Empty(Recorded());
        Assert.False(File.Exists(StateFile));
    }

    [Fact]
    public async Task ExecuteAsync_UntrustedBinaryBehindACommandPrefix_StillRefused()
    {
        File.SetUnixFileMode(Binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherWrite);
        var controller = new ConntrackdController(
            new ConntrackSettings { Binary = Binary, ConfigFile = Config, StateFile = StateFile, Group = ["192.0.2.10"], Timeout = TimeSpan.FromSeconds(10) },
            log, clock, commandPrefix: ["/usr/bin/env"]);

        var e = await Assert.ThrowsAsync<ConntrackdCommandException>(() => controller.ExecuteAsync(Promote, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains($"{ConntrackdController.BinaryKey} {Binary} is writable by group or others", e.Message, StringComparison.Ordinal);
        Assert.Empty(Recorded());
    }

    [Fact]
    public async Task ExecuteAsync_CommandFails_StopsThereCarriesStderrAndKeepsTheOldRole()
    {
        File.WriteAllText(FailOn, "-f");
        var controller = Controller();

        var e = await Assert.ThrowsAsync<ConntrackdCommandException>(() => controller.ExecuteAsync(Promote, CancellationToken.None).WaitAsync(Bound));

        Assert.Equal(["-c", "-f"], Recorded().Select(l => l.Split(' ')[2]));
        Assert.Contains("can't connect: is conntrackd running?", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{Binary} -C {Config} -f", e.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 1", e.Message, StringComparison.Ordinal);
        Assert.False(e.TimedOut);
        Assert.False(File.Exists(StateFile));
        Assert.Equal(ConntrackRole.Backup, controller.RecordedRole);
    }

    [Fact]
    public async Task ExecuteAsync_CommandHangs_IsKilledAtTheTimeoutAndFails()
    {
        File.WriteAllText(HangOn, "-R");
        var controller = Controller(TimeSpan.FromSeconds(10));

        var run = controller.ExecuteAsync(Promote, CancellationToken.None);
        // Virtual time: the timeout passes only once -R hangs with its timer armed, however slow the machine is
        // (a real 300 ms timeout also cut off -c or -f on a loaded machine).
        Assert.True(SpinWait.SpinUntil(() => Recorded().Any(l => l.EndsWith(" -R", StringComparison.Ordinal)) && clock.NextDue is not null, Bound), "-R never started");
        clock.Advance(TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<ConntrackdCommandException>(() => run.WaitAsync(Bound));

        Assert.True(e.TimedOut);
        Assert.Contains("timed out", e.Message, StringComparison.Ordinal);
        Assert.Equal(["-c", "-f", "-R"], Recorded().Select(l => l.Split(' ')[2]));
        Assert.False(File.Exists(StateFile));
    }

    [Fact]
    public async Task ExecuteAsync_BulkUpdate_RunsBAndLeavesTheStateFileAlone()
    {
        var controller = Controller();
        await controller.ExecuteAsync(Promote, CancellationToken.None).WaitAsync(Bound);
        var before = File.ReadAllText(StateFile);
        clock.Advance(TimeSpan.FromMinutes(1));

        await controller.ExecuteAsync(new ConntrackPlan(ConntrackTransition.BulkUpdate, ConntrackRole.Master, [ConntrackCommand.BulkSend], "peer"), CancellationToken.None).WaitAsync(Bound);

        Assert.Equal("-B", Recorded()[^1].Split(' ')[2]);
        Assert.Equal(before, File.ReadAllText(StateFile));
    }

    [Fact]
    public async Task ExecuteAsync_EmptyPlan_RunsNothing()
    {
        await Controller().ExecuteAsync(new ConntrackPlan(ConntrackTransition.None, ConntrackRole.Backup, ImmutableArray<ConntrackCommand>.Empty, "x"), CancellationToken.None);

        Assert.Empty(Recorded());
    }

    [Fact]
    public async Task RunAsync_Statistics_ReturnsTheOutput()
    {
        var output = await Controller().RunAsync(ConntrackCommand.Statistics, CancellationToken.None).WaitAsync(Bound);

        Assert.Contains("current active connections: 7", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MissingBinary_FailsNamingTheCommand()
    {
        var controller = new ConntrackdController(
            new ConntrackSettings { Binary = Path.Combine(directory, "absent"), ConfigFile = Config, StateFile = StateFile },
            log,
            clock);

        var e = await Assert.ThrowsAsync<ConntrackdCommandException>(() => controller.RunAsync(ConntrackCommand.Statistics, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("absent", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadState_MalformedFile_NamesTheFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile)!);
        File.WriteAllText(StateFile, "leader yesterday\n");

        var e = Assert.Throws<InvalidDataException>(() => Controller().ReadState());

        Assert.Contains(StateFile, e.Message, StringComparison.Ordinal);
        Assert.Contains("leader yesterday", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordedRole_MalformedFile_AssumesMasterSoThatTheHostDemotes()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile)!);
        File.WriteAllText(StateFile, "garbage");

        Assert.Equal(ConntrackRole.Master, Controller().RecordedRole);
        Assert.Contains(log.At(LogLevel.Warning), w => w.Contains(StateFile, StringComparison.Ordinal));
    }
}
