namespace Haven.Actors.Runtime;

/// <summary>
/// Set messages aside and take them back later, in their original order, ahead of everything else in
/// the mailbox. Persistent actors stash commands while a persist is in flight. Stashed messages survive a
/// restart (they are put back into the mailbox) and become dead letters when the actor stops.
/// </summary>
public interface IStash
{
    /// <summary>Stashes the message currently being handled (with its sender).</summary>
    void Stash();

    /// <summary>Puts every stashed message back at the front of the mailbox, oldest first.</summary>
    void UnstashAll();

    /// <summary>Puts back only the oldest stashed message.</summary>
    void Unstash();

    int Count { get; }

    /// <summary>Empties the stash and returns what it held (oldest first) without re-enqueueing.</summary>
    IReadOnlyList<object> ClearStash();
}

internal sealed class ActorStash(ActorCell cell) : IStash
{
    private readonly List<Envelope> _stashed = new();

    public int Count => _stashed.Count;

    public void Stash()
    {
        var current = cell.CurrentEnvelope ?? throw new StashException(
            $"{cell.Path}: Stash() must be called while handling a message");
        // The same message object may legitimately arrive (and be stashed) many times, e.g. a singleton
        // tick; what is an error is stashing the message being handled twice.
        if (cell.CurrentStashed)
            throw new StashException($"{cell.Path}: message {current.Message.GetType().Name} is already stashed");
        cell.CurrentStashed = true;
        _stashed.Add(current);
    }

    public void UnstashAll()
    {
        if (_stashed.Count == 0) return;
        var all = _stashed.ToArray();
        _stashed.Clear();
        cell.Mailbox.Prepend(all);
    }

    public void Unstash()
    {
        if (_stashed.Count == 0) return;
        var first = _stashed[0];
        _stashed.RemoveAt(0);
        cell.Mailbox.Prepend([first]);
    }

    public IReadOnlyList<object> ClearStash()
    {
        var all = _stashed.Select(e => e.Message).ToArray();
        _stashed.Clear();
        return all;
    }

    internal List<Envelope> TakeAll()
    {
        var all = new List<Envelope>(_stashed);
        _stashed.Clear();
        return all;
    }
}
