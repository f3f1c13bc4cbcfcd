using Haven.Actors.Runtime;

namespace Haven.TestKit;

/// <summary>
/// An actor (under /system) that records what it receives, with expectations over those messages.
/// Usable wherever an IActorRef is: senders, subscribers, watch targets. Waiting drives the
/// deterministic dispatcher and virtual clock (see <see cref="Driver"/>).
/// </summary>
public sealed class TestProbe : IInternalActorRef
{
    private readonly ActorSystem _system;
    private readonly Queue<(object Message, IActorRef Sender)> _queue = new();
    private readonly object _gate = new();

    public TestProbe(ActorSystem system, string? name = null, TimeSpan? defaultTimeout = null)
    {
        _system = system ?? throw new ArgumentNullException(nameof(system));
        DefaultTimeout = defaultTimeout ?? TimeSpan.FromSeconds(3);
        Ref = system.SystemActorOf(Props.Create(() => new ProbeActor(this)), name);
    }

    public IActorRef Ref { get; }
    public ActorPath Path => Ref.Path;
    public TimeSpan DefaultTimeout { get; }
    public IActorRef LastSender { get; private set; } = ActorRefs.Nobody;
    public object? LastMessage { get; private set; }

    /// <summary>Received and not yet taken by an expectation.</summary>
    public int PendingCount { get { lock (_gate) return _queue.Count; } }

    public void Tell(object message, IActorRef? sender) => Ref.Tell(message, sender);
    void IInternalActorRef.SendSystemMessage(SystemMessage message) => ((IInternalActorRef)Ref).SendSystemMessage(message);
    bool IInternalActorRef.IsTerminated => ((IInternalActorRef)Ref).IsTerminated;
    ActorSystem? IInternalActorRef.System => _system;

    internal void Record(object message, IActorRef sender)
    {
        lock (_gate)
        {
            _queue.Enqueue((message, sender));
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Sends to <paramref name="target"/> with this probe as sender.</summary>
    public void Send(IActorRef target, object message) => target.Tell(message, this);

    /// <summary>Replies to the sender of the last message taken.</summary>
    public void Reply(object message) => LastSender.Tell(message, this);

    /// <summary>Forwards the last message taken to <paramref name="target"/>, keeping its sender.</summary>
    public void Forward(IActorRef target) =>
        target.Tell(LastMessage ?? throw new TestKitAssertionException("Forward: no message has been received yet"), LastSender);

    public void Watch(IActorRef target) => Ref.Tell(new ProbeActor.WatchIt(target), null);
    public void Unwatch(IActorRef target) => Ref.Tell(new ProbeActor.UnwatchIt(target), null);

    public T ExpectMsg<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null)
    {
        var t = timeout ?? DefaultTimeout;
        var (message, _) = Take(t, $"a {typeof(T).Name}{(predicate is null ? "" : " matching the predicate")}");
        if (message is not T typed)
            throw new TestKitAssertionException($"expected a {typeof(T).Name} but received {Describe(message)}");
        if (predicate is not null && !predicate(typed))
            throw new TestKitAssertionException($"expected a {typeof(T).Name} matching the predicate but received {Describe(message)}");
        return typed;
    }

    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null)
    {
        var (message, _) = Take(timeout ?? DefaultTimeout, Describe(expected!));
        if (!Equals(message, expected))
            throw new TestKitAssertionException($"expected {Describe(expected!)} but received {Describe(message)}");
        return (T)message;
    }

    /// <summary>The next message must equal one of the candidates.</summary>
    public object ExpectMsgAnyOf(params object[] candidates) => ExpectMsgAnyOf(DefaultTimeout, candidates);

    public object ExpectMsgAnyOf(TimeSpan timeout, params object[] candidates)
    {
        var wanted = string.Join(" or ", candidates.Select(Describe));
        var (message, _) = Take(timeout, $"one of {wanted}");
        if (!candidates.Contains(message))
            throw new TestKitAssertionException($"expected one of {wanted} but received {Describe(message)}");
        return message;
    }

    /// <summary>Nothing may arrive during <paramref name="duration"/> (virtual time under the deterministic dispatcher).</summary>
    public void ExpectNoMsg(TimeSpan duration)
    {
        Driver.WaitUntil(_system, () => PendingCount > 0, duration, _gate);
        lock (_gate)
        {
            if (_queue.TryPeek(out var first))
                throw new TestKitAssertionException($"expected no message for {duration} but received {Describe(first.Message)}");
        }
    }

    /// <summary>Skips messages until one is a T matching the predicate.</summary>
    public T FishForMessage<T>(Func<T, bool> predicate, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var t = timeout ?? DefaultTimeout;
        var skipped = new List<object>();
        var found = default(T);
        var ok = Driver.WaitUntil(_system, () =>
        {
            lock (_gate)
            {
                while (_queue.TryDequeue(out var item))
                {
                    LastMessage = item.Message;
                    LastSender = item.Sender;
                    if (item.Message is T typed && predicate(typed))
                    {
                        found = typed;
                        return true;
                    }
                    skipped.Add(item.Message);
                }
                return false;
            }
        }, t, _gate);
        if (!ok)
            throw new TestKitAssertionException(
                $"fished for a {typeof(T).Name} matching the predicate for {t} but got only [{string.Join(", ", skipped.Select(Describe))}]");
        return found!;
    }

    /// <summary>The next <paramref name="n"/> messages, whatever they are.</summary>
    public IReadOnlyList<object> ReceiveN(int n, TimeSpan? timeout = null)
    {
        var t = timeout ?? DefaultTimeout;
        if (!Driver.WaitUntil(_system, () => PendingCount >= n, t, _gate))
        {
            lock (_gate)
                throw new TestKitAssertionException(
                    $"expected {n} messages within {t} but received {_queue.Count}: [{string.Join(", ", _queue.Select(q => Describe(q.Message)))}]");
        }
        var result = new List<object>(n);
        for (var i = 0; i < n; i++) result.Add(Take(TimeSpan.Zero, "message").Message);
        return result;
    }

    public Terminated ExpectTerminated(IActorRef target, TimeSpan? timeout = null) =>
        ExpectMsg<Terminated>(t => t.ActorRef.Equals(target), timeout);

    private (object Message, IActorRef Sender) Take(TimeSpan timeout, string expectation)
    {
        if (!Driver.WaitUntil(_system, () => PendingCount > 0, timeout, _gate))
            throw new TestKitAssertionException($"timeout ({timeout}) while waiting for {expectation}: no message arrived");
        lock (_gate)
        {
            var item = _queue.Dequeue();
            LastMessage = item.Message;
            LastSender = item.Sender;
            return item;
        }
    }

    private static string Describe(object message) => $"{message.GetType().Name} {message}";

    public override bool Equals(object? obj) => obj is IActorRef r && r.Path == Path;
    public override int GetHashCode() => Path.GetHashCode();
    public override string ToString() => $"TestProbe[{Path}]";

    private sealed class ProbeActor : Actor
    {
        public sealed record WatchIt(IActorRef Target);
        public sealed record UnwatchIt(IActorRef Target);

        public ProbeActor(TestProbe probe)
        {
            Receive<WatchIt>(w => Context.Watch(w.Target));
            Receive<UnwatchIt>(w => Context.Unwatch(w.Target));
            ReceiveAny(m => probe.Record(m, Sender));
        }
    }
}
