using System.Threading.Channels;
using Haven.Actors;
using Haven.Actors.Fencing;
using Haven.Actors.Persistence;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// The fence history of this daemon, kept in the journal (persistence id <see cref="PersistenceId"/>), so
/// <c>haven fence history</c> survives restarts. Records are written in the order they are added by one
/// writer loop; <see cref="Log"/> starts with the last records of earlier runs.
/// </summary>
internal sealed class DurableFenceHistory : IAsyncDisposable
{
    public const string PersistenceId = "fence-history";

    private readonly IJournal _journal;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly JsonEventSerializer _serializer = new(HavenManifests.CreateRegistry());
    private readonly Channel<FenceHistoryRecord> _pending = Channel.CreateUnbounded<FenceHistoryRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _sequenceNr;

    private DurableFenceHistory(IJournal journal, TimeProvider time, ILogger logger, FenceHistoryLog log, long sequenceNr)
    {
        _journal = journal;
        _time = time;
        _logger = logger;
        Log = log;
        _sequenceNr = sequenceNr;
        _writer = Task.Run(WriteLoopAsync);
    }

    public FenceHistoryLog Log { get; }

    public static async Task<DurableFenceHistory> OpenAsync(IJournal journal, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        var log = new FenceHistoryLog();
        var highest = await journal.ReadHighestSequenceNrAsync(PersistenceId, ct);
        var serializer = new JsonEventSerializer(HavenManifests.CreateRegistry());
        await foreach (var entry in journal.ReadAsync(PersistenceId, Math.Max(1, highest - log.Capacity + 1), highest, cancellationToken: ct))
        {
            try
            {
                if (serializer.Deserialize(entry) is FenceHistoryRecord record) log.Add(record);
            }
            catch (RecoveryFailedException e)
            {
                logger.LogWarning("Skipped fence history record {SequenceNr}: {Reason}", entry.SequenceNr, e.Message);
            }
        }
        return new DurableFenceHistory(journal, time, logger, log, highest);
    }

    /// <summary>Adds a record now (visible at once) and journals it in order (the fencer's history callback).</summary>
    public void Add(FenceHistoryRecord record)
    {
        Log.Add(record);
        _pending.Writer.TryWrite(record);
    }

    private async Task WriteLoopAsync()
    {
        await foreach (var record in _pending.Reader.ReadAllAsync())
        {
            try
            {
                var (manifest, payload) = _serializer.Serialize(record);
                await _journal.WriteAsync([new JournalEntry(PersistenceId, _sequenceNr + 1, manifest, payload, _time.GetUtcNow(), [])]);
                _sequenceNr++;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Could not journal the fence history record for {Node}", record.Node);
            }
        }
    }

    /// <summary>Writes what is pending, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }
}
