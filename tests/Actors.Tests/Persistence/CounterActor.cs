using Haven.Actors.Persistence;
using Haven.Actors.Runtime;

namespace Haven.Actors.Tests.Persistence;

public sealed record Add(int N);
public sealed record AddMany(int[] Ns);
public sealed record Get { public static readonly Get Instance = new(); }
public sealed record TakeSnapshot { public static readonly TakeSnapshot Instance = new(); }
public sealed record DeleteUpTo(long SequenceNr);
public sealed record PersistUnregistered { public static readonly PersistUnregistered Instance = new(); }
public sealed record Added(int N);
public sealed record AddThenDouble(int N);
public sealed record Unregistered(int N);
public sealed record CounterSnapshot(long Total);
public sealed record Total(long Value, long SequenceNr);
public sealed record State(long Total, long LastSequenceNr, long SnapshotSequenceNr, int EventsReplayed);
public sealed record Rejected(Exception Cause);

/// <summary>A small event-sourced counter exercising every part of PersistentActor.</summary>
internal sealed class CounterActor : PersistentActor
{
    private readonly string _id;
    private readonly Action<Exception>? _recoveryFailed;
    private long _total;
    private int _replayed;
    private IActorRef _snapshotRequester = ActorRefs.Nobody;

    public CounterActor(string id, PersistenceServices services, Action<Exception>? recoveryFailed) : base(services)
    {
        _id = id;
        _recoveryFailed = recoveryFailed;
        Recover<Added>(e => { _total += e.N; _replayed++; });
        RecoverSnapshot<CounterSnapshot>(s => _total = s.Total);

        Receive<Add>(c => Persist(new Added(c.N), e =>
        {
            _total += e.N;
            Sender.Tell(new Total(_total, LastSequenceNr), Self);
        }));
        Receive<AddMany>(c => PersistAll(c.Ns.Select(n => new Added(n)), e =>
        {
            _total += e.N;
            Sender.Tell(new Total(_total, LastSequenceNr), Self);
        }));
        Receive<AddThenDouble>(c => PersistAll([new Added(c.N), new Added(c.N)], e =>
        {
            _total += e.N;
            // a Persist from inside a continuation queues behind the current batch
            Persist(new Added(0), _ => Sender.Tell(new Total(_total, LastSequenceNr), Self));
        }));
        Receive<PersistUnregistered>(_ => Persist(new Unregistered(1), _ => { }));
        Receive<Get>(_ => Sender.Tell(new State(_total, LastSequenceNr, SnapshotSequenceNr, _replayed), Self));
        Receive<TakeSnapshot>(_ =>
        {
            _snapshotRequester = Sender;
            SaveSnapshot(new CounterSnapshot(_total));
        });
        Receive<SaveSnapshotSuccess>(m => _snapshotRequester.Tell(m, Self));
        Receive<DeleteUpTo>(c =>
        {
            _snapshotRequester = Sender;
            DeleteMessages(c.SequenceNr);
        });
        Receive<DeleteMessagesSuccess>(m => _snapshotRequester.Tell(m, Self));
    }

    public override string PersistenceId => _id;

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr) =>
        Sender.Tell(new Rejected(cause), Self);

    protected override void OnRecoveryFailure(Exception cause)
    {
        _recoveryFailed?.Invoke(cause);
        base.OnRecoveryFailure(cause);
    }
}
