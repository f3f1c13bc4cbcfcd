using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Persistence;

/// <summary>The stores and serializer a persistent actor writes through.</summary>
public sealed record PersistenceServices(IJournal Journal, ISnapshotStore Snapshots, JsonEventSerializer Serializer);

/// <summary>
/// An event-sourced actor (the contract of Akka's Eventsourced): on start it recovers its state from the
/// latest snapshot plus the later events, handing each to the recover handlers, which only change
/// state; commands that arrive meanwhile wait. A command handler validates, then <see cref="Persist{T}"/>s;
/// the continuation runs after the journal stored the event (with the command's Sender), and
/// commands that arrive while a write is in flight wait too. A storage failure stops the actor
/// (<see cref="OnPersistFailure"/>); a rejected event (it cannot be serialized, or the journal refuses
/// it) is reported to <see cref="OnPersistRejected"/> and the actor goes on.
/// </summary>
public abstract partial class PersistentActor : Actor
{
    private readonly PersistenceServices _services;
    private readonly List<(Type Type, Action<object> Handler)> _recoverHandlers = [];
    private readonly List<(Type Type, Action<object> Handler)> _snapshotHandlers = [];
    private readonly Queue<PendingWrite> _writes = new();
    private bool _writeInFlight;
    private bool _holdingCommands;
    private bool _recovering = true;

    protected PersistentActor(PersistenceServices services)
    {
        _services = services ?? throw new ArgumentNullException(nameof(services));
    }

    /// <summary>Stable id of this actor's event stream in the journal.</summary>
    public abstract string PersistenceId { get; }

    /// <summary>Sequence number of the last event recovered or stored.</summary>
    protected long LastSequenceNr { get; private set; }

    /// <summary>Sequence number of the snapshot recovery started from (0 when none).</summary>
    protected long SnapshotSequenceNr { get; private set; }

    protected bool IsRecovering => _recovering;

    protected PersistenceServices Persistence => _services;

    /// <summary>Registers how a recovered event of type T changes state. Recover handlers must not have side effects.</summary>
    protected void Recover<T>(Action<T> handler) => _recoverHandlers.Add((typeof(T), o => handler((T)o)));

    /// <summary>Registers how a recovered snapshot of type T becomes state.</summary>
    protected void RecoverSnapshot<T>(Action<T> handler) => _snapshotHandlers.Add((typeof(T), o => handler((T)o)));

    /// <summary>After recovery, before any command: start timers and side effects here.</summary>
    protected virtual void OnRecoveryCompleted() { }

    /// <summary>Recovery could not read or decode the stream. Default: log and stop.</summary>
    protected virtual void OnRecoveryFailure(Exception cause)
    {
        Log.LogError(cause, "Recovery of {PersistenceId} failed: {Reason}", PersistenceId, cause.Message);
        Context.Stop(Self);
    }

    /// <summary>The journal failed to store an event (storage is broken). Default: log; the actor then stops.</summary>
    protected virtual void OnPersistFailure(Exception cause, object @event, long sequenceNr) =>
        Log.LogError(cause, "Persisting {EventType} as {PersistenceId}#{SequenceNr} failed; stopping", @event.GetType().Name, PersistenceId, sequenceNr);

    /// <summary>The event was refused (not serializable, or rejected by the journal). Default: log; the actor goes on.</summary>
    protected virtual void OnPersistRejected(Exception cause, object @event, long sequenceNr) =>
        Log.LogWarning(cause, "Event {EventType} for {PersistenceId}#{SequenceNr} was rejected: {Reason}", @event.GetType().Name, PersistenceId, sequenceNr, cause.Message);

    /// <summary>Tags stored with an event (for queries by tag).</summary>
    protected virtual IReadOnlyList<string> TagsFor(object @event) => [];

    /// <summary>Stores the event, then calls handler with it (Sender is the command's sender). Commands wait meanwhile.</summary>
    protected void Persist<T>(T @event, Action<T> handler) where T : notnull => PersistAll([@event], handler);

    /// <summary>Stores the events atomically (all or none), then calls handler for each in order.</summary>
    protected void PersistAll<T>(IEnumerable<T> events, Action<T> handler) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(handler);
        var list = events.Select(e => (object)e).ToList();
        if (list.Count == 0) return;
        EnqueueWrite(new PendingWrite(list, o => handler((T)o), Sender));
    }

    /// <summary>Saves state as a snapshot at <see cref="LastSequenceNr"/>; the outcome arrives as SaveSnapshotSuccess/Failure.</summary>
    protected void SaveSnapshot(object snapshot)
    {
        var metadata = new SnapshotMetadata(PersistenceId, LastSequenceNr, Context.System.TimeProvider.GetUtcNow());
        var self = Self;
        try
        {
            var (manifest, payload) = _services.Serializer.Serialize(snapshot);
            var save = _services.Snapshots.SaveAsync(new SnapshotEntry(metadata, manifest, payload));
            Complete(save, () => self.Tell(new SaveSnapshotSuccess(metadata)), e => self.Tell(new SaveSnapshotFailure(metadata, e)));
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            self.Tell(new SaveSnapshotFailure(metadata, e));
        }
    }

    /// <summary>Deletes journaled events up to toSequenceNr; the outcome arrives as DeleteMessagesSuccess/Failure.</summary>
    protected void DeleteMessages(long toSequenceNr)
    {
        var self = Self;
        var delete = _services.Journal.DeleteToAsync(PersistenceId, toSequenceNr);
        Complete(delete, () => self.Tell(new DeleteMessagesSuccess(toSequenceNr)), e => self.Tell(new DeleteMessagesFailure(toSequenceNr, e)));
    }

    /// <summary>Deletes snapshots up to maxSequenceNr; the outcome arrives as DeleteSnapshotsSuccess/Failure.</summary>
    protected void DeleteSnapshots(long maxSequenceNr)
    {
        var self = Self;
        var delete = _services.Snapshots.DeleteToAsync(PersistenceId, maxSequenceNr);
        Complete(delete, () => self.Tell(new DeleteSnapshotsSuccess(maxSequenceNr)), e => self.Tell(new DeleteSnapshotsFailure(maxSequenceNr, e)));
    }

    /// <summary>Starts recovery. Subclasses that override must call base.PreStart() first.</summary>
    protected override void PreStart()
    {
        _recovering = true;
        BecomeStacked(() =>
        {
            ReceiveAsync<RecoveryStart>(_ => RecoverAsync());
            ReceiveAny(_ => Stash.Stash());
        });
        Self.Tell(RecoveryStart.Instance, Self);
    }

    private async Task RecoverAsync()
    {
        try
        {
            var snapshot = await _services.Snapshots.LoadLatestAsync(PersistenceId);
            if (snapshot is not null)
            {
                var state = _services.Serializer.Deserialize(snapshot);
                Dispatch(_snapshotHandlers, state, "snapshot", snapshot.Metadata.SequenceNr);
                LastSequenceNr = SnapshotSequenceNr = snapshot.Metadata.SequenceNr;
            }
            await foreach (var entry in _services.Journal.ReadAsync(PersistenceId, LastSequenceNr + 1, long.MaxValue))
            {
                var @event = _services.Serializer.Deserialize(entry);
                Dispatch(_recoverHandlers, @event, "event", entry.SequenceNr);
                LastSequenceNr = entry.SequenceNr;
            }
            // Deleted events leave the highest number behind: never reuse a sequence number.
            LastSequenceNr = Math.Max(LastSequenceNr, await _services.Journal.ReadHighestSequenceNrAsync(PersistenceId));
        }
        catch (Exception e)
        {
            _recovering = false;
            OnRecoveryFailure(e);
            return;
        }
        _recovering = false;
        UnbecomeStacked();
        OnRecoveryCompleted();
        Stash.UnstashAll();
    }

    private void Dispatch(List<(Type Type, Action<object> Handler)> handlers, object message, string what, long sequenceNr)
    {
        foreach (var (type, handler) in handlers)
        {
            if (!type.IsInstanceOfType(message)) continue;
            handler(message);
            return;
        }
        throw new RecoveryFailedException(PersistenceId, sequenceNr, $"no recover handler for {what} {message.GetType().Name}");
    }

    private static void Complete(Task task, Action ok, Action<Exception> failed)
    {
        if (task.IsCompletedSuccessfully)
        {
            ok();
            return;
        }
        task.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) ok();
            else failed(t.Exception?.GetBaseException() ?? new OperationCanceledException("cancelled"));
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}

/// <summary>Outcome of <see cref="PersistentActor.SaveSnapshot"/>, delivered to the actor.</summary>
public sealed record SaveSnapshotSuccess(SnapshotMetadata Metadata);

public sealed record SaveSnapshotFailure(SnapshotMetadata Metadata, Exception Cause);

public sealed record DeleteMessagesSuccess(long ToSequenceNr);

public sealed record DeleteMessagesFailure(long ToSequenceNr, Exception Cause);

public sealed record DeleteSnapshotsSuccess(long MaxSequenceNr);

public sealed record DeleteSnapshotsFailure(long MaxSequenceNr, Exception Cause);

internal sealed record RecoveryStart
{
    public static readonly RecoveryStart Instance = new();
}
