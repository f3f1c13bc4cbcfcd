using Haven.Actors.Runtime;

namespace Haven.Actors.Persistence;

/// <summary>
/// The write path: Persist calls queue up in order; one journal write is in flight at a time; while any
/// is queued or in flight the actor stashes commands. Sequence numbers are assigned when a write
/// starts, so a rejected write leaves no gap.
/// </summary>
public abstract partial class PersistentActor
{
    private sealed record PendingWrite(List<object> Events, Action<object> Handler, IActorRef Sender);

    private sealed record WriteCompleted(PendingWrite Write, long FirstSequenceNr);

    private sealed record WriteRejected(PendingWrite Write, long FirstSequenceNr, Exception Cause);

    private sealed record WriteFailed(PendingWrite Write, long FirstSequenceNr, Exception Cause);

    /// <summary>Writes wait behind the one in flight (a Persist now would be journaled after them).</summary>
    protected bool WritesQueued => _writes.Count > 0;

    private void EnqueueWrite(PendingWrite write)
    {
        if (_recovering) throw new InvalidOperationException($"{PersistenceId}: Persist called during recovery; recover handlers only change state");
        if (!_holdingCommands)
        {
            _holdingCommands = true;
            BecomeStacked(() =>
            {
                Receive<WriteCompleted>(OnWriteCompleted);
                Receive<WriteRejected>(OnWriteRejected);
                Receive<WriteFailed>(OnWriteFailed);
                ReceiveAny(_ => Stash.Stash());
            });
        }
        _writes.Enqueue(write);
        if (!_writeInFlight) StartNextWrite();
    }

    private void StartNextWrite()
    {
        var write = _writes.Dequeue();
        _writeInFlight = true;
        var first = LastSequenceNr + 1;
        var self = Self;
        List<JournalEntry> entries;
        try
        {
            var now = Context.System.TimeProvider.GetUtcNow();
            entries = new List<JournalEntry>(write.Events.Count);
            for (var i = 0; i < write.Events.Count; i++)
            {
                var (manifest, payload) = Persistence.Serializer.Serialize(write.Events[i]);
                entries.Add(new JournalEntry(PersistenceId, first + i, manifest, payload, now, TagsFor(write.Events[i])));
            }
        }
        catch (Exception e)
        {
            // Not serializable: rejected before it reached the journal.
            self.Tell(new WriteRejected(write, first, e), write.Sender);
            return;
        }
        Task task;
        try
        {
            task = Persistence.Journal.WriteAsync(entries);
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }
        if (task.IsCompleted) Report(task, write, first, self);
        // Synchronously on the completing thread: a Tell is cheap, and a test that completes a gated write
        // sees the outcome in the mailbox at once.
        else task.ContinueWith(t => Report(t, write, first, self), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static void Report(Task task, PendingWrite write, long first, IActorRef self)
    {
        var cause = task.Exception?.GetBaseException();
        object outcome = task.IsCompletedSuccessfully ? new WriteCompleted(write, first)
            : cause is JournalRejectedException ? new WriteRejected(write, first, cause)
            : new WriteFailed(write, first, cause ?? new OperationCanceledException("journal write cancelled"));
        self.Tell(outcome, write.Sender);
    }

    private void OnWriteCompleted(WriteCompleted done)
    {
        // Still "in flight" while the handlers run: a Persist from a handler queues behind this write
        // and is numbered after all of its events.
        for (var i = 0; i < done.Write.Events.Count; i++)
        {
            LastSequenceNr = done.FirstSequenceNr + i; // each handler sees its own event's number
            done.Write.Handler(done.Write.Events[i]);
        }
        _writeInFlight = false;
        AfterWrite();
    }

    private void OnWriteRejected(WriteRejected rejected)
    {
        _writeInFlight = false;
        for (var i = 0; i < rejected.Write.Events.Count; i++)
            OnPersistRejected(rejected.Cause, rejected.Write.Events[i], rejected.FirstSequenceNr + i);
        AfterWrite();
    }

    private void OnWriteFailed(WriteFailed failed)
    {
        _writeInFlight = false;
        OnPersistFailure(failed.Cause, failed.Write.Events[0], failed.FirstSequenceNr);
        _writes.Clear();
        Context.Stop(Self); // stashed commands become dead letters
    }

    private void AfterWrite()
    {
        if (_writes.Count > 0)
        {
            StartNextWrite();
            return;
        }
        _holdingCommands = false;
        UnbecomeStacked();
        Stash.UnstashAll();
    }
}
