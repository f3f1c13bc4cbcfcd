namespace Haven.Actors.Runtime;

/// <summary>
/// A mailbox queue: many writers, one reader, FIFO, closable. A <see cref="Queue{T}"/> under a <see cref="Lock"/>
/// (what an unbounded channel is underneath, without the async-reader machinery a mailbox never uses: its reader
/// is the dispatcher, which is told about new work by the mailbox, not by the queue).
/// </summary>
internal sealed class MessageQueue<T>
{
    private readonly Queue<T> _items = new();
    private readonly Lock _lock = new();
    private bool _closed;

    /// <summary>Adds an item at the back; false once the queue is closed.</summary>
    public bool TryWrite(T item)
    {
        lock (_lock)
        {
            if (_closed) return false;
            _items.Enqueue(item);
            return true;
        }
    }

    /// <summary>Takes the front item; items written before <see cref="Close"/> are still read.</summary>
    public bool TryRead(out T item)
    {
        lock (_lock) return _items.TryDequeue(out item!);
    }

    /// <summary>Refuses further writes.</summary>
    public void Close()
    {
        lock (_lock) _closed = true;
    }
}
