using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Runtime;
using Haven.Adapters.FloatingIps;
using Haven.Adapters.Tests.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.FloatingIps;

/// <summary>The watcher on real files; its timer runs on virtual time, so each check happens inside <c>clock.Advance</c>.</summary>
public sealed class ExtraAddressWatcherTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly UnixFileMode Safe = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly string directory = Directory.CreateTempSubdirectory("hvxw-").FullName;
    private readonly VirtualClock clock = new();
    private readonly RecordingLogger<ExtraAddressWatcher> log = new();
    private readonly List<ImmutableArray<PublicAddress>> calls = [];
    private readonly ExtraAddressWatcher watcher;
    private DateTime modified = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public ExtraAddressWatcherTests()
    {
        watcher = new ExtraAddressWatcher(new ExtraAddressSettings(FilePath, "eth1", 32), calls.Add, clock, log, Interval);
    }

    private string FilePath => Path.Combine(directory, "ha-ips");

    public void Dispose()
    {
        watcher.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>Writes the file and gives it a modification time later than any before (file systems may round it).</summary>
    private void Write(string text, UnixFileMode mode = default)
    {
        File.WriteAllText(FilePath, text);
        File.SetUnixFileMode(FilePath, mode == default ? Safe : mode);
        Touch();
    }

    private void Touch()
    {
        modified += TimeSpan.FromSeconds(1);
        File.SetLastWriteTimeUtc(FilePath, modified);
    }

    private static string[] Ips(ImmutableArray<PublicAddress> addresses) => [.. addresses.Select(a => $"{a.Ip}/{a.Mask}")];

    [Fact]
    public void Start_ExistingFile_ReturnsTheSetWithoutCallingBack()
    {
        Write("192.0.2.10\n192.0.2.11/24\n");

        var initial = watcher.Start();

        Assert.Equal(["192.0.2.10/32", "192.0.2.11/24"], Ips(initial));
        Assert.All(initial, a => Assert.Equal("eth1", a.Interface));
        Assert.Empty(calls);
    }

    [Fact]
    public void Check_FileChanged_CallsBackOnceWithTheFullNewSet()
    {
        Write("192.0.2.10\n");
        watcher.Start();

        Write("192.0.2.10\n192.0.2.20\n");
        clock.Advance(Interval);
        clock.Advance(Interval);

        var call = Assert.Single(calls);
        Assert.Equal(["192.0.2.10/32", "192.0.2.20/32"], Ips(call));
        Assert.Equal(call, watcher.Current);
    }

    [Fact]
    public void Check_BeforeTheInterval_DoesNotLook()
    {
        Write("192.0.2.10\n");
        watcher.Start();

        Write("192.0.2.30\n");
        clock.Advance(Interval - TimeSpan.FromSeconds(1));

        Assert.Empty(calls);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(calls);
    }

    [Fact]
    public void Check_TouchedOrCommentEdited_DoesNotCallBack()
    {
        Write("192.0.2.10\n");
        watcher.Start();

        Touch();
        clock.Advance(Interval);
        Write("# the web address\n192.0.2.10   # web\n");
        clock.Advance(Interval);

        Assert.Empty(calls);
    }

    [Fact]
    public void Check_SameSizeNewContent_IsNoticedByTheModificationTime()
    {
        Write("192.0.2.10\n");
        watcher.Start();

        Write("192.0.2.19\n");
        clock.Advance(Interval);

        Assert.Equal(["192.0.2.19/32"], Ips(Assert.Single(calls)));
    }

    [Fact]
    public void Start_MissingFile_IsAnEmptySetWithOneWarning()
    {
        var initial = watcher.Start();
        clock.Advance(Interval * 5);

        Assert.Empty(initial);
        Assert.Empty(calls);
        var warning = Assert.Single(log.At(LogLevel.Warning));
        Assert.Contains(FilePath, warning, StringComparison.Ordinal);
        Assert.Contains("does not exist", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_FileRemovedThenRestored_CallsBackWithEmptyThenTheAddresses()
    {
        Write("192.0.2.10\n");
        watcher.Start();

        File.Delete(FilePath);
        clock.Advance(Interval);
        Write("192.0.2.10\n");
        clock.Advance(Interval);

        Assert.Equal(2, calls.Count);
        Assert.Empty(calls[0]);
        Assert.Equal(["192.0.2.10/32"], Ips(calls[1]));
    }

    [Fact]
    public void Check_FileBecomesGroupWritable_IsRefusedAndTheSetIsKept()
    {
        Write("192.0.2.10\n");
        watcher.Start();

        Write("203.0.113.66\n", Safe | UnixFileMode.GroupWrite);
        clock.Advance(Interval);
        clock.Advance(Interval);

        Assert.Empty(calls);
        Assert.Equal(["192.0.2.10/32"], Ips(watcher.Current));
        var error = Assert.Single(log.At(LogLevel.Error));
        Assert.Contains("refusing", error, StringComparison.Ordinal);

        File.SetUnixFileMode(FilePath, Safe);
        clock.Advance(Interval);
        Assert.Equal(["203.0.113.66/32"], Ips(Assert.Single(calls)));
    }

    [Fact]
    public void Check_BadLine_IsLoggedWithFileAndLineAndTheRestIsUsed()
    {
        Write("192.0.2.10\n");
        watcher.Start();

        Write("192.0.2.10\nbogus\n192.0.2.11\n");
        clock.Advance(Interval);

        Assert.Equal(["192.0.2.10/32", "192.0.2.11/32"], Ips(Assert.Single(calls)));
        Assert.Contains(log.At(LogLevel.Warning), w => w.Contains($"{FilePath}:2: \"bogus\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Dispose_StopsTheChecks()
    {
        Write("192.0.2.10\n");
        watcher.Start();

        watcher.Dispose();
        Write("192.0.2.50\n");
        clock.Advance(Interval * 3);

        Assert.Empty(calls);
        Assert.Equal(0, clock.ActiveTimerCount);
    }
}
