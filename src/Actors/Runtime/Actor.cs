using Microsoft.Extensions.Logging;

namespace Haven.Actors.Runtime;

/// <summary>
/// Base of every actor. Register typed handlers in the constructor (or inside <see cref="Become"/>); the
/// first registered handler that matches a message handles it; no match calls <see cref="Unhandled"/>.
/// A <see cref="ReceiveAsync{T}(Func{T, Task})"/> handler suspends the mailbox until its Task completes,
/// and its await continuations run on the actor (with Sender restored) as system-channel work.
/// </summary>
public abstract class Actor
{
    private readonly ActorCell _cell;
    private List<ReceiveHandler> _behavior = new();
    private List<ReceiveHandler>? _building;
    private Stack<List<ReceiveHandler>>? _stacked;

    protected Actor()
    {
        _cell = ActorCell.Current ?? throw new InvalidOperationException(
            $"{GetType().Name} must be created by the runtime through ActorOf(Props), not with 'new'");
        _building = _behavior;
    }

    protected IActorRef Self => _cell.SelfRef;
    protected IActorRef Sender => _cell.Sender;
    protected IActorContext Context => _cell;
    protected ILogger Log => _cell.Log;
    protected ITimerScheduler Timers => _cell.Timers;
    protected IStash Stash => _cell.Stash;

    // ---- handler registration -------------------------------------------------------------

    protected void Receive<T>(Action<T> handler) => Add(new SyncHandler<T>(null, handler));

    protected void Receive<T>(Func<T, bool> predicate, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Add(new SyncHandler<T>(predicate, handler));
    }

    protected void ReceiveAsync<T>(Func<T, Task> handler) => Add(new AsyncHandler<T>(null, handler));

    protected void ReceiveAsync<T>(Func<T, bool> predicate, Func<T, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Add(new AsyncHandler<T>(predicate, handler));
    }

    protected void ReceiveAny(Action<object> handler) => Add(new SyncHandler<object>(null, handler));

    protected void ReceiveAnyAsync(Func<object, Task> handler) => Add(new AsyncHandler<object>(null, handler));

    private void Add(ReceiveHandler handler)
    {
        if (_building is null)
            throw new InvalidOperationException(
                $"{GetType().Name}: Receive handlers may only be registered in the constructor or inside Become");
        _building.Add(handler);
    }

    // ---- behaviors --------------------------------------------------------------------------

    /// <summary>Replaces the current handlers with those <paramref name="configure"/> registers.</summary>
    protected void Become(Action configure)
    {
        var next = Build(configure);
        _behavior = next;
        _stacked?.Clear();
    }

    /// <summary>Pushes new handlers; <see cref="UnbecomeStacked"/> returns to the previous ones.</summary>
    protected void BecomeStacked(Action configure)
    {
        var next = Build(configure);
        (_stacked ??= new()).Push(_behavior);
        _behavior = next;
    }

    protected void UnbecomeStacked()
    {
        if (_stacked is { Count: > 0 }) _behavior = _stacked.Pop();
    }

    private List<ReceiveHandler> Build(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var saved = _building;
        var next = new List<ReceiveHandler>();
        _building = next;
        try { configure(); }
        finally { _building = saved; }
        return next;
    }

    internal void EndConstruction() => _building = null;

    // ---- lifecycle hooks ----------------------------------------------------------------------

    /// <summary>Before the first message (and, by default, after a restart).</summary>
    protected virtual void PreStart() { }

    /// <summary>After the actor stopped (its children have stopped before).</summary>
    protected virtual void PostStop() { }

    /// <summary>On the failed instance before it is replaced. Default: stop all children, then PostStop.</summary>
    protected virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.Children) Context.Stop(child);
        PostStop();
    }

    /// <summary>On the fresh instance after a restart. Default: PreStart.</summary>
    protected virtual void PostRestart(Exception reason) => PreStart();

    /// <summary>Strategy for this actor's children; null falls back to Props, then the default (Restart).</summary>
    protected internal virtual SupervisorStrategy? SupervisorStrategy() => null;

    /// <summary>
    /// No handler matched. Default: an unhandled Terminated fails the actor with DeathPactException;
    /// anything else is published as UnhandledMessage and logged at Debug.
    /// </summary>
    protected virtual void Unhandled(object message)
    {
        if (message is Terminated t) throw new DeathPactException(t.ActorRef);
        _cell.System.PublishUnhandled(message, _cell.CurrentSender, Self);
    }

    internal void CallPreStart() => PreStart();
    internal void CallPostStop() => PostStop();
    internal void CallPreRestart(Exception reason, object? message) => PreRestart(reason, message);
    internal void CallPostRestart(Exception reason) => PostRestart(reason);

    /// <summary>Dispatches to the handlers; returns the pending Task of an async handler, else null.</summary>
    internal Task? Dispatch(object message)
    {
        var handlers = _behavior;
        for (var i = 0; i < handlers.Count; i++)
        {
            if (handlers[i].TryInvoke(message, _cell, out var pending)) return pending;
        }
        Unhandled(message);
        return null;
    }
}

internal abstract class ReceiveHandler
{
    public abstract bool TryInvoke(object message, ActorCell cell, out Task? pending);
}

internal sealed class SyncHandler<T>(Func<T, bool>? predicate, Action<T> action) : ReceiveHandler
{
    private readonly Action<T> _action = action ?? throw new ArgumentNullException(nameof(action));

    public override bool TryInvoke(object message, ActorCell cell, out Task? pending)
    {
        pending = null;
        if (message is not T m || (predicate is not null && !predicate(m))) return false;
        _action(m);
        return true;
    }
}

internal sealed class AsyncHandler<T>(Func<T, bool>? predicate, Func<T, Task> action) : ReceiveHandler
{
    private readonly Func<T, Task> _action = action ?? throw new ArgumentNullException(nameof(action));

    public override bool TryInvoke(object message, ActorCell cell, out Task? pending)
    {
        pending = null;
        if (message is not T m || (predicate is not null && !predicate(m))) return false;
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(cell.SyncContext);
        try
        {
            var task = _action(m) ?? throw new InvalidOperationException(
                $"{cell.Path}: ReceiveAsync handler for {typeof(T).Name} returned a null Task");
            if (!task.IsCompleted) pending = task;
            else if (task.IsFaulted || task.IsCanceled) task.GetAwaiter().GetResult(); // rethrow on the actor
        }
        finally { SynchronizationContext.SetSynchronizationContext(previous); }
        return true;
    }
}
