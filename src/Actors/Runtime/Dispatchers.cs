namespace Haven.Actors.Runtime;

/// <summary>Runs mailboxes. <see cref="Throughput"/> caps the messages one mailbox handles per turn.</summary>
public abstract class MessageDispatcher
{
    public abstract int Throughput { get; }
    internal abstract void Schedule(Mailbox mailbox);
}

/// <summary>The default: mailboxes run on the .NET thread pool, up to Throughput messages per turn.</summary>
public sealed class ThreadPoolDispatcher : MessageDispatcher
{
    public ThreadPoolDispatcher(int throughput = 100)
    {
        if (throughput < 1)
            throw new ArgumentOutOfRangeException(nameof(throughput), throughput, "dispatcher throughput must be at least 1");
        Throughput = throughput;
    }

    public override int Throughput { get; }

    internal override void Schedule(Mailbox mailbox) => ThreadPool.UnsafeQueueUserWorkItem(mailbox, preferLocal: true);
}

/// <summary>
/// Single-threaded, step-by-step dispatcher for tests and the cluster simulation. Nothing runs until the
/// caller invokes <see cref="Step"/> or <see cref="RunUntilIdle"/>, on the caller's thread. Mailboxes wait
/// in one FIFO run queue; a step takes the first mailbox, processes exactly one message (system first) and
/// puts the mailbox at the back of the queue if it still has work. With a <see cref="VirtualClock"/> for
/// time and a seeded Random, the order of everything is a function of the script alone.
/// <para>
/// Several ActorSystems (one per simulated host) share one cluster by passing the SAME dispatcher and the
/// SAME clock in their <see cref="ActorSystemSettings"/>: their mailboxes interleave in the one run queue
/// and their timers fire in the one clock's time order.
/// </para>
/// </summary>
public sealed class DeterministicDispatcher : MessageDispatcher
{
    private readonly Queue<Mailbox> _runQueue = new();
    private readonly Lock _lock = new();
    private bool _running;

    public override int Throughput => 1;

    /// <summary>Mailboxes waiting to run.</summary>
    public int Pending { get { lock (_lock) return _runQueue.Count; } }

    /// <summary>Total messages processed since creation (for traces and tests).</summary>
    public long ProcessedCount { get; private set; }

    internal override void Schedule(Mailbox mailbox)
    {
        lock (_lock) _runQueue.Enqueue(mailbox);
    }

    /// <summary>Processes one message of the first runnable mailbox; false when there was nothing to do.</summary>
    public bool Step()
    {
        while (true)
        {
            Mailbox? next;
            lock (_lock)
            {
                if (_running) throw new InvalidOperationException("DeterministicDispatcher.Step called re-entrantly from inside an actor turn");
                if (!_runQueue.TryDequeue(out next)) return false;
                _running = true;
            }
            int done;
            try { done = next.Run(1); }
            finally { lock (_lock) _running = false; }
            if (done > 0)
            {
                ProcessedCount++;
                return true;
            }
        }
    }

    /// <summary>Steps until no mailbox has work; returns the messages processed. Throws after <paramref name="maxSteps"/> (a livelock guard).</summary>
    public int RunUntilIdle(int maxSteps = 10_000_000)
    {
        var steps = 0;
        while (Step())
        {
            if (++steps >= maxSteps)
                throw new InvalidOperationException($"DeterministicDispatcher did not become idle within {maxSteps} steps (message loop?)");
        }
        return steps;
    }
}
