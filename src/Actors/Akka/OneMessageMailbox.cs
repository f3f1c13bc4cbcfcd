using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Haven.Actors.Akka;

/// <summary>
/// The simulation's mailbox type (the generated config makes it the default and the deque-based one): a queue
/// that hands out at most one message per loop turn. Akka's mailbox handles <c>throughput + 1</c> messages in
/// a turn; with this queue every message is its own turn, so the loop can interleave any two messages.
/// </summary>
public sealed class OneMessageMailbox(Settings settings, Config config)
    : MailboxType(settings, config), IProducesMessageQueue<OneMessageQueue>
{
    private readonly SimLoop _loop = SimLoop.Named(settings.Config.GetString(AkkaConfig.LoopKey)
                                                   ?? throw new InvalidOperationException($"{AkkaConfig.LoopKey} is not set"));

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) =>
        new OneMessageQueue(_loop, StableKey.Normalise(owner?.Path.ToString() ?? "~"));
}

/// <summary>
/// Unbounded, deque-based (Stash puts messages back in front), and empty to its mailbox once it has handed
/// out a message in the current loop turn; <see cref="HasMessages"/> stays true so the mailbox is scheduled again.
/// </summary>
public sealed class OneMessageQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
{
    private readonly object _gate = new();
    private readonly Queue<Envelope> _queue = new();
    private readonly Stack<Envelope> _front = new();
    private readonly SimLoop _loop;
    private long _lastTurn = -1;

    internal OneMessageQueue(SimLoop loop, string key)
    {
        _loop = loop;
        Key = key;
    }

    /// <summary>The owner's normalised path: the loop's order key for this mailbox.</summary>
    public string Key { get; }

    public bool HasMessages { get { lock (_gate) return _queue.Count + _front.Count > 0; } }

    public int Count { get { lock (_gate) return _queue.Count + _front.Count; } }

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        _loop.NoteMessage(Key);
        lock (_gate) _queue.Enqueue(envelope);
    }

    public void EnqueueFirst(Envelope envelope)
    {
        lock (_gate) _front.Push(envelope);
    }

    public bool TryDequeue(out Envelope envelope)
    {
        var turn = _loop.Turn;
        lock (_gate)
        {
            if (_lastTurn == turn || !TryTake(out envelope))
            {
                envelope = default;
                return false;
            }
            _lastTurn = turn;
            return true;
        }
    }

    private bool TryTake(out Envelope envelope) => _front.TryPop(out envelope) || _queue.TryDequeue(out envelope);

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (true)
        {
            Envelope envelope;
            lock (_gate)
                if (!TryTake(out envelope)) return;
            deadletters.Enqueue(owner, envelope);
        }
    }
}
