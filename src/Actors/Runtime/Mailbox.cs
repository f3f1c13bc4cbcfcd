namespace Haven.Actors.Runtime;

/// <summary>
/// One per actor: a user queue (single reader) and a system queue that is always drained first,
/// plus a front queue for unstashed messages. The mailbox is scheduled on its dispatcher at most once
/// at a time (status CAS); a run processes up to <c>budget</c> messages and reschedules itself when
/// work remains. User processing can be suspended (failure, async handler in flight, stopping).
/// </summary>
internal sealed class Mailbox : IThreadPoolWorkItem
{
    private const int Idle = 0, Scheduled = 1;

    private readonly MessageQueue<Envelope> _user = new();
    private readonly MessageQueue<SystemMessage> _system = new();
    private readonly MessageDispatcher _dispatcher;
    private ActorCell _cell = null!;
    private Queue<Envelope>? _front;
    private int _userCount;
    private int _systemCount;
    private int _status;
    private bool _userSuspended;

    public Mailbox(MessageDispatcher dispatcher) => _dispatcher = dispatcher;

    internal void Attach(ActorCell cell) => _cell = cell;

    /// <summary>The path of the actor this mailbox serves (a dispatcher's key for it).</summary>
    internal ActorPath Path => _cell.Path;

    /// <summary>Messages waiting: system + user + unstashed.</summary>
    public int Count => Volatile.Read(ref _userCount) + Volatile.Read(ref _systemCount) + (_front?.Count ?? 0);

    public bool IsClosed { get; private set; }

    public bool PostUser(in Envelope envelope)
    {
        Interlocked.Increment(ref _userCount);
        if (!_user.TryWrite(envelope))
        {
            Interlocked.Decrement(ref _userCount);
            return false;
        }
        TrySchedule();
        return true;
    }

    public void PostSystem(SystemMessage message)
    {
        Interlocked.Increment(ref _systemCount);
        _system.TryWrite(message); // the system queue is never closed
        TrySchedule();
    }

    /// <summary>Only from the actor's own turn.</summary>
    internal void SetUserSuspended(bool suspended) => _userSuspended = suspended;

    /// <summary>Puts messages at the front of the user queue, ahead of everything already waiting (actor turn only).</summary>
    internal void Prepend(IReadOnlyList<Envelope> envelopes)
    {
        if (envelopes.Count == 0) return;
        var q = new Queue<Envelope>(envelopes.Count + (_front?.Count ?? 0));
        foreach (var e in envelopes) q.Enqueue(e);
        if (_front is not null) while (_front.TryDequeue(out var e)) q.Enqueue(e);
        _front = q;
    }

    /// <summary>Refuses further user messages and hands back everything still queued (actor turn only).</summary>
    internal List<Envelope> CloseAndDrain()
    {
        IsClosed = true;
        _user.Close();
        var rest = new List<Envelope>();
        if (_front is not null) while (_front.TryDequeue(out var e)) rest.Add(e);
        while (_user.TryRead(out var env))
        {
            Interlocked.Decrement(ref _userCount);
            rest.Add(env);
        }
        return rest;
    }

    private bool HasWork =>
        Volatile.Read(ref _systemCount) > 0 ||
        (!_userSuspended && (Volatile.Read(ref _userCount) > 0 || _front is { Count: > 0 }));

    internal void TrySchedule()
    {
        if (Interlocked.CompareExchange(ref _status, Scheduled, Idle) == Idle)
            _dispatcher.Schedule(this);
    }

    void IThreadPoolWorkItem.Execute() => Run(_dispatcher.Throughput);

    /// <summary>Processes up to <paramref name="budget"/> messages, system first; returns how many ran.</summary>
    internal int Run(int budget)
    {
        var done = 0;
        try
        {
            while (done < budget)
            {
                if (Volatile.Read(ref _systemCount) > 0 && _system.TryRead(out var sys))
                {
                    Interlocked.Decrement(ref _systemCount);
                    done++;
                    _cell.SystemInvoke(sys);
                    continue;
                }
                if (_userSuspended) break;
                if (_front is { Count: > 0 })
                {
                    done++;
                    _cell.Invoke(_front.Dequeue());
                    continue;
                }
                if (_user.TryRead(out var env))
                {
                    Interlocked.Decrement(ref _userCount);
                    done++;
                    _cell.Invoke(env);
                    continue;
                }
                break;
            }
        }
        finally
        {
            Volatile.Write(ref _status, Idle);
            if (HasWork) TrySchedule();
        }
        return done;
    }
}
