using Haven.Actors.Configuration;
using Haven.Actors.Persistence;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Host.Tests;

/// <summary>A journal that existed and is now empty is refused; a write that failed is reported by health as an ERROR.</summary>
public sealed class JournalSafetyTests
{
    [Fact]
    public async Task OpenAsync_SqliteFileExistsButEmpty_RefusedUnlessAcceptEmptyFile()
    {
        using var dir = new TempDir();
        var path = dir.File("journal.db");
        File.WriteAllBytes(path, []); // truncated
        var settings = new JournalSettings(JournalProviderKind.Sqlite, path, "");

        var e = await Assert.ThrowsAsync<CliException>(() => JournalFactory.OpenAsync(settings, "n1", NullLogger.Instance, CancellationToken.None));
        Assert.Equal($"journal {path} exists but is empty (0 bytes): it was truncated or emptied, and starting on it would start a fresh cluster "
            + "without its settings and VM definitions; restore it from a backup, or start with --new-journal to begin anew", e.Message);
        Assert.Equal(0, new FileInfo(path).Length); // nothing written

        await using var opened = await JournalFactory.OpenAsync(settings with { AcceptEmptyFile = true }, "n1", NullLogger.Instance, CancellationToken.None);
        Assert.Equal(0, await opened.Journal.CountAsync());
    }

    [Fact]
    public async Task Daemon_TruncatedJournal_RefusesToStartNamingNewJournal_AndARestartOfAWrittenJournalStarts()
    {
        using var dir = new TempDir();
        var config = dir.DaemonConfig();
        await using (var first = await RunningDaemon.StartAsync(config))
            Assert.Equal(0, await first.StopAsync());
        await using (var again = await RunningDaemon.StartAsync(config)) // a journal with content starts as before
            Assert.Equal(0, await again.StopAsync());

        File.WriteAllBytes(dir.File("journal.db"), []);
        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("exists but is empty (0 bytes)", err);
        Assert.Contains("--new-journal", err);
    }

    [Fact]
    public async Task WriteFailure_RememberedUntilAWriteSucceeds_HealthSaysError()
    {
        var inner = new FailingJournal();
        var journal = new ObservableJournal(inner);
        JournalEntry[] entry = [new("probe", 1, "probe.written.v1", "{}"u8.ToArray(), DateTimeOffset.UnixEpoch, [])];
        Assert.Null(journal.WriteFailure);
        Assert.Null(HealthApi.JournalWrites(journal.WriteFailure, "sqlite", "/j.db"));

        inner.Fail = true;
        await Assert.ThrowsAsync<IOException>(() => journal.WriteAsync(entry));
        Assert.Equal("No space left on device", journal.WriteFailure);
        var check = HealthApi.JournalWrites(journal.WriteFailure, "sqlite", "/j.db")!;
        Assert.Equal(("journal", "error"), (check.Name, check.Status));
        Assert.Contains("the last write failed (No space left on device)", check.Reason);

        inner.Fail = false;
        await journal.WriteAsync(entry);
        Assert.Null(journal.WriteFailure);
    }

    private sealed class FailingJournal() : DelegatingJournal(new InMemoryJournal())
    {
        public bool Fail { get; set; }

        public override Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default) =>
            Fail ? throw new IOException("No space left on device") : base.WriteAsync(entries, cancellationToken);
    }
}
