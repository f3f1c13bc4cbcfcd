using System.Text.Json;
using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Sqlite;
using Haven.Host.Daemon;

namespace Haven.Host.Tests;

public class DaemonTests
{
    [Fact]
    public async Task Status_RunningDaemon_ReportsNodeJournalAndEvents()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig(node: "alpha"));
        var (code, output, err) = await CliRunner.RunAsync("status", "--json", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        var status = JsonDocument.Parse(output).RootElement;
        Assert.Equal("alpha", status.GetProperty("node").GetString());
        Assert.Equal("test", status.GetProperty("cluster").GetString());
        Assert.Equal("sqlite", status.GetProperty("journal").GetProperty("provider").GetString());
        Assert.Equal(dir.File("journal.db"), status.GetProperty("journal").GetProperty("location").GetString());
        Assert.True(status.GetProperty("eventsJournaled").GetInt64() >= 1);
        Assert.True(status.GetProperty("uptimeSeconds").GetDouble() >= 0);

        var (tableCode, table, _) = await CliRunner.RunAsync("status", "--socket", dir.File("haven.sock"));
        Assert.Equal(0, tableCode);
        Assert.Contains("alpha", table);
        Assert.Contains("events journaled", table);
    }

    [Fact]
    public async Task ControlSocket_IsOwnerOnly()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        var mode = File.GetUnixFileMode(dir.File("haven.sock"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task Daemon_StartFailsAfterTheJournalOpened_NotJournaledAsAStart()
    {
        using var dir = new TempDir();
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start(); // the web view's port is taken: the start fails after the journal and the actors are up
        var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = test, node-name = n1 }
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              logging { console = off, file.path = "{{dir.File("haven.log")}}" }
              web { enabled = on, listen = "127.0.0.1:{{port}}" }
            }
            """);

        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", config);

        Assert.True(code == 1, $"exit {code}: {err}");
        await using var journal = await Haven.Adapters.Persistence.Sqlite.SqliteJournal.OpenAsync(dir.File("journal.db"));
        var manifests = new List<string>();
        await foreach (var e in journal.ReadAllAsync(0)) manifests.Add(e.Manifest);
        Assert.DoesNotContain("daemon.started.v1", manifests);
        Assert.False(File.Exists(dir.File("haven.sock")), "the socket was left behind");
    }

    [Fact]
    public async Task Events_AfterStartAndStop_ShowsLifecycleOldestFirst()
    {
        using var dir = new TempDir();
        var config = dir.DaemonConfig(node: "n1");
        await using (var first = await RunningDaemon.StartAsync(config))
        {
            Assert.Equal(0, await first.StopAsync());
        }
        await using var second = await RunningDaemon.StartAsync(config);
        var (code, output, err) = await CliRunner.RunAsync("events", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        var all = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The first start journals event delivery's starting checkpoint once; the rest is the lifecycle.
        Assert.Single(all, l => l.Contains("event-delivery#1 events.delivered.v1"));
        var lines = all.Where(l => !l.Contains("event-delivery#")).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.Contains("daemon-n1#1 daemon.started.v1", lines[0]);
        Assert.Contains("daemon-n1#2 daemon.stopped.v1", lines[1]);
        Assert.Contains("reason=shutdown", lines[1]);
        Assert.Contains("daemon-n1#3 daemon.started.v1", lines[2]);

        // after the first run's two entries: event delivery's checkpoint, then the start (journaled once the daemon is up)
        var (jsonCode, json, _) = await CliRunner.RunAsync("events", "--json", "--after", "2", "--socket", dir.File("haven.sock"));
        Assert.Equal(0, jsonCode);
        var array = JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() != "events.delivered.v1").ToArray();
        Assert.Equal(2, array.Length);
        Assert.Equal("daemon.stopped.v1", array[0].GetProperty("type").GetString());
        Assert.Equal("n1", array[1].GetProperty("fields").GetProperty("node").GetString());
    }

    [Fact]
    public async Task EventsFollow_StreamsWhatIsJournaledLater()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        using var cancel = new CancellationTokenSource();
        var output = new LineWriter();
        var follow = Haven.Host.Cli.HavenCli.RunAsync(["events", "--follow", "--socket", dir.File("haven.sock")], output, new StringWriter(), cancel.Token);

        await output.Seen("daemon.started.v1").WaitAsync(TimeSpan.FromSeconds(30));
        await daemon.State.Journal.WriteAsync([
            new JournalEntry("probe", 1, "probe.written.v1", """{"n":1}"""u8.ToArray(), DateTimeOffset.UnixEpoch, [])]);
        await output.Seen("probe.written.v1").WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        Assert.Equal(0, await follow.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("probe#1 probe.written.v1 n=1", output.ToString());
    }

    [Fact]
    public async Task EventsFollow_WithLimit_StopsAfterThatManyEvents()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        await daemon.WaitForEventAsync("daemon.started.v1");
        var output = new StringWriter();

        var code = await Haven.Host.Cli.HavenCli.RunAsync(["events", "--follow", "--limit", "1", "--json", "--socket", dir.File("haven.sock")], output, new StringWriter())
            .WaitAsync(TimeSpan.FromSeconds(30)); // without the limit it would follow for ever

        Assert.Equal(0, code);
        Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task SecondDaemon_SameJournal_IsRefused()
    {
        using var dir = new TempDir();
        using var other = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        // same journal, different socket
        var config = other.WriteConfig("haven.conf", $$"""
            haven { journal.sqlite.path = "{{dir.File("journal.db")}}", control.socket = "{{other.File("haven.sock")}}", logging.console = off }
            """);
        var ex = await Assert.ThrowsAsync<CliException>(() => RunningDaemon.StartAsync(config));
        Assert.Contains("another haven daemon", ex.Message);
        Assert.Contains(dir.File("journal.db"), ex.Message);
    }

    [Fact]
    public async Task SecondDaemon_SameSocket_IsRefused()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        var config = dir.DaemonConfig(journalPath: dir.File("other.db"), name: "second.conf");
        var ex = await Assert.ThrowsAsync<CliException>(() => RunningDaemon.StartAsync(config));
        Assert.Contains("control socket", ex.Message);
        Assert.Contains($"pid {Environment.ProcessId}", ex.Message);
    }

    [Fact]
    public async Task Daemon_GroupWritableConfig_RefusesToStartAndCreatesNothing()
    {
        using var dir = new TempDir();
        var config = dir.DaemonConfig();
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);
        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", config);
        Assert.Equal(1, code);
        Assert.Contains($"config file {config} is writable by group or others", err);
        Assert.False(File.Exists(dir.File("journal.db")));
        Assert.False(File.Exists(dir.File("haven.sock")));
    }

    [Fact]
    public async Task Daemon_InvalidConfig_ListsProblemsAndStartsNothing()
    {
        using var dir = new TempDir();
        var config = dir.WriteConfig("bad.conf", "haven.journal.provider = oracle\nhaven.control.sokcet = /tmp/x.sock\n");
        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("oracle", err);
        Assert.Contains("haven.control.socket", err); // the suggestion
        Assert.Contains("nothing started", err);
    }

    [Fact]
    public async Task Daemon_JournalPathUnderAFile_FailsWithClearError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("plainfile"), "");
        var config = dir.DaemonConfig(journalPath: dir.File("plainfile/sub/journal.db"));
        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("journal", err);
        Assert.Contains(dir.File("plainfile/sub"), err);
        Assert.False(File.Exists(dir.File("haven.sock")));
    }

    [Fact]
    public async Task Daemon_CorruptJournalRow_RefusesToStartNamingIdAndSequence()
    {
        using var dir = new TempDir();
        var config = dir.DaemonConfig(node: "c1");
        await SqliteSchema.MigrateAsync(dir.File("journal.db"));
        await using (var journal = await SqliteJournal.OpenAsync(dir.File("journal.db")))
        {
            await journal.WriteAsync([new JournalEntry("daemon-c1", 1, "daemon.started.v1", "{\"node\": tru"u8.ToArray(), DateTimeOffset.UnixEpoch, [])]);
        }
        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("recovery of 'daemon-c1' failed at sequence number 1", err);
        Assert.False(File.Exists(dir.File("haven.sock")));
        await using var after = await SqliteJournal.OpenAsync(dir.File("journal.db"));
        Assert.Equal(1, await after.CountAsync()); // nothing was added to a journal it cannot read
    }

    [Fact]
    public async Task Daemon_MissingConfig_SaysWhich()
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", dir.File("absent.conf"));
        Assert.Equal(1, code);
        Assert.Contains($"config file {dir.File("absent.conf")} not found", err);
    }

    /// <summary>A TextWriter that signals when a line containing some text was written.</summary>
    private sealed class LineWriter : StringWriter
    {
        private readonly object _gate = new();
        private readonly List<(string Text, TaskCompletionSource Signal)> _waits = [];

        public Task Seen(string text)
        {
            lock (_gate)
            {
                if (ToString().Contains(text)) return Task.CompletedTask;
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waits.Add((text, tcs));
                return tcs.Task;
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
                var all = ToString();
                foreach (var w in _waits.Where(w => all.Contains(w.Text)).ToList())
                {
                    w.Signal.TrySetResult();
                    _waits.Remove(w);
                }
            }
        }
    }
}
