using Microsoft.Extensions.Logging.Abstractions;
using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Persistence;
using Haven.Host.Cli;
using Haven.Host.Daemon;

namespace Haven.Host.Tests;

/// <summary>
/// A daemon whose journal already holds "cluster" history but no event-delivery checkpoint (an older Haven ran, the
/// journal was restored): the scripts see this run's events, not the history.
/// </summary>
public class EventDeliveryDaemonTests
{
    private const UnixFileMode Exec = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly JsonEventSerializer Serializer = new(HavenManifests.CreateRegistry());

    private static string Calls(TempDir dir) => dir.File("calls.log");

    /// <summary>A one-host daemon on this journal; with <paramref name="extraAddress"/> it takes that address on an interface that does not exist here.</summary>
    private static string Config(TempDir dir, string journal, string? extraAddress = null)
    {
        var extra = "";
        if (extraAddress is not null)
        {
            File.WriteAllText(dir.File("extra-ips"), extraAddress + "\n");
            extra = $$"""ips { extra-addresses-file = "{{dir.File("extra-ips")}}", extra-addresses-interface = hvnone0, extra-addresses-mask = 24 }""";
        }
        return dir.WriteConfig($"{journal}.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File(journal)}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          logging { console = off, file.path = "{{dir.File("haven.log")}}" }
          events { scripts-dir = "{{dir.File("events.d")}}", script-timeout = 20s }
          {{extra}}
        }
        """);
    }

    private static async Task<List<JournalEntry>> ReadAsync(IJournal journal, string persistenceId)
    {
        var entries = new List<JournalEntry>();
        await foreach (var entry in journal.ReadAsync(persistenceId, 1, long.MaxValue)) entries.Add(entry);
        return entries;
    }

    private static long FirstCheckpoint(List<JournalEntry> checkpoints) => ((ScriptEventsDelivered)Serializer.Deserialize(checkpoints[0])).ClusterSequenceNr;

    /// <summary>Copies the "cluster" stream of one journal into a new one: the history without any delivery checkpoint.</summary>
    private static async Task<List<JournalEntry>> CopyClusterStreamAsync(string fromConfig, string toConfig)
    {
        var cli = new CliContext(new StringWriter(), new StringWriter());
        List<JournalEntry> history;
        await using (var from = await JournalFactory.OpenAsync(DaemonVerb.LoadSettings(fromConfig, cli).Journal, "test", NullLogger.Instance, CancellationToken.None))
        {
            // The first run, on an empty journal, started delivery with the first cluster event.
            Assert.Equal(0, FirstCheckpoint(await ReadAsync(from.Journal, EventDeliveryActor.CheckpointPersistenceId)));
            history = await ReadAsync(from.Journal, "cluster");
        }
        await using var to = await JournalFactory.OpenAsync(DaemonVerb.LoadSettings(toConfig, cli).Journal, "test", NullLogger.Instance, CancellationToken.None);
        await to.Journal.WriteAsync([.. history.Select(e => e with { Ordering = 0 })]);
        return history;
    }

    [Fact]
    public async Task Daemon_HistoryWithoutCheckpoint_StartsAfterItAndScriptsSeeNoneOfIt()
    {
        using var dir = new TempDir();
        var script = Path.Combine(Directory.CreateDirectory(dir.File("events.d")).FullName, "10.record");
        File.WriteAllText(script, $"#!/bin/sh\necho \"$*\" >> '{Calls(dir)}'\n");
        File.SetUnixFileMode(script, Exec);
        await using (var first = await RunningDaemon.StartAsync(Config(dir, "old.db", extraAddress: "198.51.100.7")))
        {
            await first.State.Events!.Started.WaitAsync(TimeSpan.FromSeconds(30));
            await first.WaitForEventAsync("cluster.takeip.v1");
            await first.WaitForEventAsync("cluster.recovered.v1");
            Assert.Equal(0, await first.StopAsync());
        }
        // The second run no longer has the address: nothing of it takes 198.51.100.7; only a replay of the history would.
        var history = await CopyClusterStreamAsync(dir.File("old.db.conf"), Config(dir, "restored.db"));
        Assert.Contains(history, e => Serializer.Deserialize(e) is IpTaken { Ip: "198.51.100.7" });
        File.Delete(Calls(dir));

        await using var daemon = await RunningDaemon.StartAsync(Config(dir, "restored.db"));
        await daemon.State.Events!.Started.WaitAsync(TimeSpan.FromSeconds(30));

        var highest = history[^1].SequenceNr;
        Assert.Equal(highest, FirstCheckpoint(await ReadAsync(daemon.State.Journal, EventDeliveryActor.CheckpointPersistenceId)));
        var calls = File.ReadAllLines(Calls(dir));
        Assert.Equal(["init", "setup"], calls.Take(2));
        Assert.Contains("startup", calls); // delivery caught up with the journal: a replay would have run before it
        Assert.DoesNotContain(calls, l => l.StartsWith("takeip", StringComparison.Ordinal));
        Assert.Equal(0, await daemon.StopAsync());
        Assert.Contains(File.ReadAllLines(dir.File("haven.log")), l =>
            l.Contains($"Event delivery starts after cluster event #{highest}: {highest} earlier events predate event delivery on this host and are not replayed"));
    }
}
