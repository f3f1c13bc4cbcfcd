using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Events;

/// <summary>What the <see cref="EventDeliveryActor"/> needs: this host, the stream it follows, and the runner.</summary>
public sealed record EventDeliveryOptions(NodeId Self, IEventScriptRunner Runner)
{
    /// <summary>The journal stream of replicated events.</summary>
    public string ClusterPersistenceId { get; init; } = "cluster";

    /// <summary>How many journal records are read at a time.</summary>
    public int ReadBatch { get; init; } = 256;

    /// <summary>After this many checkpoints the older ones are deleted from the journal.</summary>
    public int CompactEvery { get; init; } = 256;

    /// <summary>Called on the actor's turn once startup ran (delivery has caught up with the journal).</summary>
    public Action? Started { get; init; }
}

/// <summary>
/// Delivers the CTDB events of the replicated stream to this host's event scripts, at least once, in order, one
/// at a time. The events are persisted first (the ClusterActor journals them); this actor journals only its
/// checkpoint (<see cref="ScriptEventsDelivered"/>, persistence id "event-delivery"): the last "cluster" sequence
/// number whose script events all ran. On start it runs init and setup, reads the "cluster" stream from the
/// journal — records up to the checkpoint only rebuild the state, the later ones are delivered (what a crash
/// left undelivered runs now) — runs startup once it has caught up, then follows <see cref="ClusterEventApplied"/>
/// wake-ups. Where no checkpoint was ever journaled, <see cref="EventDeliveryStart"/> journals the first one before
/// the ClusterActor starts, so that older history is not replayed. A failed script is logged and reported (<see cref="EventScriptHistory"/>) and delivery goes on;
/// the checkpoint advances after the run finished, whatever its outcome. <see cref="RunShutdownEvent"/> runs
/// shutdown and stops delivery.
/// </summary>
public sealed class EventDeliveryActor : PersistentActor
{
    private readonly EventDeliveryOptions _options;
    private readonly ClusterStreamFold _fold = new();
    private readonly Queue<(long Seq, IReadOnlyList<ScriptEvent> Events)> _pending = new();
    private ScriptMapperState _mapper = ScriptMapperState.Empty;
    private long _checkpoint;
    private long _read;
    private long _handled;
    private bool _caughtUp;
    private bool _startupRan;
    private bool _shutDown;
    private bool _pumpScheduled;
    private int _sinceCompaction;

    public static Props Props(EventDeliveryOptions options, PersistenceServices persistence) =>
        Runtime.Props.Create(() => new EventDeliveryActor(options, persistence));

    public EventDeliveryActor(EventDeliveryOptions options, PersistenceServices persistence) : base(persistence)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        Recover<ScriptEventsDelivered>(d => _checkpoint = Math.Max(_checkpoint, d.ClusterSequenceNr));

        ReceiveAsync<Begin>(_ => BeginAsync());
        Receive<ClusterEventApplied>(applied =>
        {
            if (applied.SequenceNr > _read) SchedulePump();
        });
        ReceiveAsync<Pump>(_ => PumpAsync());
        Receive<Delivered>(OnDelivered);
        ReceiveAsync<RunShutdownEvent>(_ => ShutdownAsync());
        Receive<GetDeliveryStatus>(_ => Sender.Tell(new DeliveryStatus(_checkpoint, _read, _pending.Count, _startupRan), Self));
        Receive<DeleteMessagesSuccess>(d => Log.LogDebug("Deleted delivery checkpoints up to {SequenceNr}", d.ToSequenceNr));
        Receive<DeleteMessagesFailure>(d => Log.LogWarning(d.Cause, "Could not delete delivery checkpoints up to {SequenceNr}", d.ToSequenceNr));
    }

    /// <summary>The persistence id of the delivery checkpoints.</summary>
    public const string CheckpointPersistenceId = "event-delivery";

    public override string PersistenceId => CheckpointPersistenceId;

    protected override void OnRecoveryCompleted()
    {
        _handled = _checkpoint;
        Self.Tell(Begin.Instance, Self);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private async Task BeginAsync()
    {
        Log.LogInformation("Event delivery starts after cluster event #{Checkpoint}", _checkpoint);
        await RunAsync(new ScriptEvent.Init());
        await RunAsync(new ScriptEvent.Setup());
        // Wake-ups from here on; the first read catches everything journaled before.
        Context.System.EventStream.Subscribe<ClusterEventApplied>(Self);
        SchedulePump();
    }

    private void SchedulePump()
    {
        if (_pumpScheduled || _shutDown) return;
        _pumpScheduled = true;
        Self.Tell(Pump.Instance, Self);
    }

    /// <summary>One step: deliver the next pending record, or read more, or (caught up) run startup and save the checkpoint.</summary>
    private async Task PumpAsync()
    {
        _pumpScheduled = false;
        if (_shutDown) return;
        while (_pending.Count == 0)
        {
            var read = await ReadMoreAsync();
            if (read < 0) return; // the journal failed; the next wake-up retries
            if (read < _options.ReadBatch) break;
        }
        if (_pending.Count > 0)
        {
            var (seq, events) = _pending.Dequeue();
            foreach (var e in events) await RunAsync(e);
            Self.Tell(new Delivered(seq, events.Count > 0), Self);
            return;
        }
        if (!_caughtUp)
        {
            _caughtUp = true;
            await RunAsync(new ScriptEvent.Startup());
            _startupRan = true;
            _options.Started?.Invoke();
        }
        // Records that ran no script leave the checkpoint behind: a restart re-reads the whole stream anyway.
    }

    /// <summary>Reads the records after the last one read; folds those up to the checkpoint, queues the later ones' script events.</summary>
    private async Task<int> ReadMoreAsync()
    {
        var entries = new List<(long Seq, object? Event)>();
        try
        {
            await foreach (var entry in Persistence.Journal.ReadAsync(_options.ClusterPersistenceId, _read + 1, long.MaxValue, _options.ReadBatch))
                entries.Add((entry.SequenceNr, Decode(entry)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.LogError(e, "Could not read the {Stream} stream after #{Read}: {Reason}; retrying at the next event", _options.ClusterPersistenceId, _read, e.Message);
            return -1;
        }
        var clusterEvents = entries.Select(e => e.Event as IClusterEvent).ToList();
        // A full batch may end inside a run of address events whose release and take make one move:
        // that run waits for the next read, which sees it whole (unless the batch is nothing else).
        var limit = entries.Count;
        if (entries.Count >= _options.ReadBatch)
        {
            var start = limit;
            while (start > 0 && clusterEvents[start - 1] is IpReleased or IpTaken) start--;
            if (start > 0) limit = start;
        }
        for (var i = 0; i < limit; i++)
        {
            var (seq, journaled) = entries[i];
            if (journaled is IClusterEvent applied)
            {
                // Only a release looks ahead (for a move between interfaces); nothing else pays for the list.
                IReadOnlyList<IClusterEvent> following = applied is IpReleased
                    ? clusterEvents.Skip(i + 1).TakeWhile(e => e is IpReleased or IpTaken).Select(e => e!).ToList()
                    : [];
                var (mapper, events) = ScriptEventMapper.Map(_mapper, _fold.State, applied, _options.Self, following);
                _mapper = mapper;
                if (seq > _checkpoint) _pending.Enqueue((seq, events));
            }
            else if (seq > _checkpoint)
            {
                _pending.Enqueue((seq, []));
            }
            if (journaled is not null) _fold.Apply(journaled);
            _read = seq;
        }
        return entries.Count;
    }

    private object? Decode(JournalEntry entry)
    {
        try
        {
            return Persistence.Serializer.Deserialize(entry);
        }
        catch (RecoveryFailedException e)
        {
            Log.LogError("Cluster event #{SequenceNr} cannot be read ({Reason}); no script runs for it", entry.SequenceNr, e.Message);
            return null;
        }
    }

    private void OnDelivered(Delivered delivered)
    {
        if (_shutDown) return; // nothing is journaled after shutdown; the next start runs that record again
        _handled = Math.Max(_handled, delivered.Seq);
        if (!delivered.RanScripts || _handled <= _checkpoint)
        {
            SchedulePump();
            return;
        }
        Persist(new ScriptEventsDelivered(_handled), d =>
        {
            _checkpoint = d.ClusterSequenceNr;
            if (++_sinceCompaction >= _options.CompactEvery)
            {
                _sinceCompaction = 0;
                DeleteMessages(LastSequenceNr - 1);
            }
            SchedulePump(); // the next record, or (caught up) one more read in case a wake-up came meanwhile
        });
    }

    private async Task ShutdownAsync()
    {
        var result = await RunAsync(new ScriptEvent.Shutdown());
        _shutDown = true;
        Sender.Tell(new ShutdownEventRan(result), Self);
    }

    private async Task<EventRunResult> RunAsync(ScriptEvent scriptEvent)
    {
        EventRunResult result;
        try
        {
            result = await _options.Runner.RunAsync(scriptEvent, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.LogError(e, "Event {Event} could not be run: {Reason}", string.Join(' ', scriptEvent.Argv), e.Message);
            return new EventRunResult(scriptEvent, [], [e.Message], Stopped: true);
        }
        if (!result.Succeeded)
        {
            var why = result.Errors.Length > 0 ? string.Join("; ", result.Errors)
                : result.FirstFailure is { } f ? f.TimedOut ? $"{f.Name} timed out" : $"{f.Name} exited with {f.ExitCode}" : "failed";
            Log.LogWarning("Event {Event} failed: {Reason}; delivery goes on", string.Join(' ', scriptEvent.Argv), why);
        }
        else if (result.Scripts.Length > 0)
        {
            Log.LogInformation("Event {Event} ran {Scripts} scripts", string.Join(' ', scriptEvent.Argv), result.Scripts.Length);
        }
        return result;
    }

    private sealed record Begin
    {
        public static readonly Begin Instance = new();
    }

    private sealed record Pump
    {
        public static readonly Pump Instance = new();
    }

    private sealed record Delivered(long Seq, bool RanScripts);
}
