using Microsoft.Extensions.Logging;

namespace Haven.Actors.Runtime;

/// <summary>
/// Creation, failure, restart and stop. Choices (Akka's defaults):
/// <list type="bullet">
/// <item>A failing actor suspends its user messages and reports <c>Failed</c> to its parent; the failing
/// message is not retried.</item>
/// <item>Restart: PreRestart on the old instance (default: stop every child, then PostStop), wait until
/// the stopped children have terminated, then a fresh instance from Props and PostRestart (default:
/// PreStart). The mailbox and the stash survive; timers and an in-flight ReceiveAsync do not.</item>
/// <item>Stop: children are stopped first; PostStop runs after the last child has terminated (so
/// PostStop runs bottom-up); then queued and stashed messages become dead letters, watchers get
/// Terminated, and the parent is told.</item>
/// </list>
/// </summary>
internal sealed partial class ActorCell
{
    private bool _failed;
    private object? _failedMessage;
    private volatile bool _terminating;
    private volatile bool _terminated;
    private Exception? _restartCause;

    private Actor NewInstance()
    {
        var previous = Current;
        Current = this;
        try
        {
            var actor = Props.Factory();
            actor.EndConstruction();
            return actor;
        }
        finally { Current = previous; }
    }

    private void CreateInstance()
    {
        Actor instance;
        try { instance = NewInstance(); }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(
                $"{Path}: creating {Props.ActorType.Name} failed: {ex.Message}", ex), null);
            return;
        }
        _actor = instance;
        UpdateSuspension();
        try { instance.CallPreStart(); }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(
                $"{Path}: PreStart of {Props.ActorType.Name} failed: {ex.Message}", ex), null);
        }
    }

    private void HandleInvokeFailure(Exception cause, object? message)
    {
        if (_terminating || _failed)
        {
            System.Log.LogError(cause, "Actor {ActorPath} failed again while {State}; ignored",
                Path.ToString(), _terminating ? "stopping" : "awaiting its supervisor");
            return;
        }
        _failed = true;
        _failedMessage = message;
        UpdateSuspension();
        Parent.SendSystemMessage(new Failed(SelfRef, cause));
    }

    private void ResumeAfterFailure()
    {
        if (!_failed) return;
        _failed = false;
        _failedMessage = null;
        UpdateSuspension();
    }

    private void Restart(Exception cause)
    {
        if (_terminating) return;
        var old = _actor;
        _timers?.CancelAll();
        _pendingAsync = null;
        if (old is not null)
        {
            try { old.CallPreRestart(cause, _failedMessage); }
            catch (Exception ex)
            {
                System.Log.LogError(ex, "PreRestart of {ActorPath} threw; restarting anyway", Path.ToString());
            }
        }
        _actor = null;
        if (_stash is not null) Mailbox.Prepend(_stash.TakeAll());
        UpdateSuspension();
        if (HasStoppingChildren()) _restartCause = cause; // finish when they have terminated
        else FinishRestart(cause);
    }

    private void FinishRestart(Exception cause)
    {
        _restartCause = null;
        _failed = false;
        _failedMessage = null;
        Actor fresh;
        try { fresh = NewInstance(); }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(
                $"{Path}: re-creating {Props.ActorType.Name} after a restart failed: {ex.Message}", ex), null);
            return;
        }
        _actor = fresh;
        UpdateSuspension();
        try { fresh.CallPostRestart(cause); }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(
                $"{Path}: PostRestart of {Props.ActorType.Name} failed: {ex.Message}", ex), null);
        }
    }

    private bool HasStoppingChildren()
    {
        lock (_childLock) return _childOrder.Exists(c => c.Stopping);
    }

    private void BeginTerminate()
    {
        if (_terminating) return;
        List<ChildEntry> children;
        lock (_childLock)
        {
            _terminating = true;
            children = _isRoot ? _childOrder.Take(1).ToList() : _childOrder.ToList();
        }
        _timers?.CancelAll();
        UpdateSuspension();
        foreach (var child in children)
        {
            child.Stopping = true;
            child.Ref.SendSystemMessage(Terminate.Instance);
        }
        if (children.Count == 0) FinishTerminate();
    }

    private void OnChildTerminated(IActorRef child)
    {
        int remaining;
        ChildEntry? next = null;
        lock (_childLock)
        {
            if (_childrenByName.TryGetValue(child.Path.Name, out var e) && e.Ref.Equals(child))
            {
                _childrenByName.Remove(child.Path.Name);
                _childOrder.Remove(e);
            }
            remaining = _childOrder.Count;
            if (_terminating && _isRoot && remaining > 0 && !_childOrder[0].Stopping) next = _childOrder[0];
        }
        if (_terminating)
        {
            if (next is not null)
            {
                next.Stopping = true; // root: stop /user first, then /system
                next.Ref.SendSystemMessage(Terminate.Instance);
            }
            if (remaining == 0) FinishTerminate();
            return;
        }
        if (_isRoot)
        {
            System.Log.LogError("Guardian {Guardian} stopped; terminating actor system {System}", child.Path.ToString(), System.Name);
            BeginTerminate();
            return;
        }
        if (_restartCause is { } cause && !HasStoppingChildren()) FinishRestart(cause);
    }

    private void FinishTerminate()
    {
        var instance = _actor;
        if (instance is not null)
        {
            try { instance.CallPostStop(); }
            catch (Exception ex)
            {
                System.Log.LogError(ex, "PostStop of {ActorPath} threw", Path.ToString());
            }
        }
        _actor = null;
        _pendingAsync = null;
        var leftovers = _stash?.TakeAll() ?? new List<Envelope>();
        leftovers.AddRange(Mailbox.CloseAndDrain());
        _terminated = true;
        foreach (var e in leftovers)
        {
            if (e.Message is Terminated or TimerTick) continue;
            System.PublishDeadLetter(e.Message, e.Sender, SelfRef);
        }
        System.EventStream.Unsubscribe(SelfRef);
        if (_watchedBy is not null)
        {
            foreach (var watcher in _watchedBy)
                (watcher as IInternalActorRef)?.SendSystemMessage(new DeathWatchNotification(SelfRef));
            _watchedBy = null;
        }
        if (_watching is not null)
        {
            foreach (var watchee in _watching)
                (watchee as IInternalActorRef)?.SendSystemMessage(new UnwatchMsg(watchee, SelfRef));
            _watching = null;
        }
        System.Log.LogDebug("Actor {ActorPath} stopped", Path.ToString());
        Parent.SendSystemMessage(new ChildTerminated(SelfRef));
    }

    private void HandleFailed(Failed failed)
    {
        var entry = FindChild(failed.Child);
        if (entry is null || entry.Stopping) return; // stale report from a child already gone or going
        var strategy = _actor?.SupervisorStrategy() ?? Props.SupervisorStrategy ?? SupervisorStrategy.Default;
        Directive directive;
        try { directive = strategy.Decide(failed.Cause); }
        catch (Exception ex)
        {
            System.Log.LogError(ex, "Supervisor decider of {ActorPath} threw; escalating", Path.ToString());
            directive = Directive.Escalate;
        }
        var child = failed.Child.Path.ToString();
        switch (directive)
        {
            case Directive.Resume:
                System.Log.LogWarning(failed.Cause, "Child {Child} failed; resuming it", child);
                entry.Ref.SendSystemMessage(Resume.Instance);
                break;
            case Directive.Restart:
                var now = System.TimeProvider.GetUtcNow();
                if (!strategy.RequestRestart(entry.Stats, now, System.NextRandomDouble, out var delay))
                {
                    System.Log.LogWarning(failed.Cause, "Child {Child} failed and exceeded {Retries} restarts; stopping it",
                        child, entry.Stats.Retries - 1);
                    Stop(entry.Ref);
                    break;
                }
                System.Log.LogWarning(failed.Cause, "Child {Child} failed; restarting it (restart {Retries}) after {Delay}",
                    child, entry.Stats.Retries, delay);
                var recreate = new Recreate(failed.Cause);
                if (delay > TimeSpan.Zero)
                {
                    var target = entry.Ref;
                    System.Scheduler.ScheduleOnce(delay, () => target.SendSystemMessage(recreate));
                }
                else entry.Ref.SendSystemMessage(recreate);
                break;
            case Directive.Stop:
                System.Log.LogWarning(failed.Cause, "Child {Child} failed; stopping it", child);
                Stop(entry.Ref);
                break;
            default:
                System.Log.LogWarning(failed.Cause, "Child {Child} failed; escalating from {ActorPath}", child, Path.ToString());
                HandleInvokeFailure(failed.Cause, null);
                break;
        }
    }
}
