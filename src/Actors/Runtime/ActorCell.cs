using Microsoft.Extensions.Logging;

namespace Haven.Actors.Runtime;

/// <summary>
/// The runtime side of one actor: mailbox, current instance, children, watchers, supervision state.
/// Everything here runs on the actor's own turn (one at a time) except the child registry, which
/// ActorSystem.ActorOf may touch from outside and is therefore locked.
/// </summary>
internal sealed partial class ActorCell : IActorContext
{
    [ThreadStatic] internal static ActorCell? Current;

    private readonly Lock _childLock = new();
    private readonly Dictionary<string, ChildEntry> _childrenByName = new(StringComparer.Ordinal);
    private readonly List<ChildEntry> _childOrder = new();
    private readonly bool _isRoot;
    private long _nameCounter;

    private Actor? _actor;
    private Envelope? _current;
    private ActorTimers? _timers;
    private ActorStash? _stash;
    private ILogger? _log;
    private ActorSynchronizationContext? _syncContext;
    private List<IActorRef>? _watching;
    private List<IActorRef>? _watchedBy;

    public ActorCell(ActorSystem system, Props props, ActorPath path, IInternalActorRef parent, bool isRoot = false)
    {
        System = system;
        Props = props;
        Path = path;
        Parent = parent;
        _isRoot = isRoot;
        Mailbox = new Mailbox(system.Dispatcher);
        Mailbox.Attach(this);
        Mailbox.SetUserSuspended(true); // until Create has run
        SelfRef = new LocalActorRef(this);
    }

    public ActorSystem System { get; }
    public Props Props { get; }
    public ActorPath Path { get; }
    public IInternalActorRef Parent { get; }
    IActorRef IActorContext.Parent => Parent;
    public LocalActorRef SelfRef { get; }
    IActorRef IActorContext.Self => SelfRef;
    public Mailbox Mailbox { get; }
    public bool IsTerminated => _terminated;

    internal Envelope? CurrentEnvelope => _current;

    /// <summary>Whether the message being handled was stashed already (stashing it twice is an error).</summary>
    internal bool CurrentStashed { get; set; }
    internal IActorRef? CurrentSender => _current?.Sender;
    public IActorRef Sender => _current?.Sender ?? System.DeadLetters;

    public ILogger Log => _log ??= new ActorLogger(
        System.LoggerFactory.CreateLogger(Props.ActorType.FullName ?? Props.ActorType.Name), Path);

    public ITimerScheduler Timers => _timers ??= new ActorTimers(this);
    public IStash Stash => _stash ??= new ActorStash(this);
    internal SynchronizationContext SyncContext => _syncContext ??= new ActorSynchronizationContext(this);

    internal void Start() => Mailbox.PostSystem(Create.Instance);

    // ---- children ---------------------------------------------------------------------------

    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        ActorCell child;
        lock (_childLock)
        {
            if (_terminating)
                throw new InvalidOperationException($"{Path} is stopping; it cannot create the child '{name ?? "(generated)"}'");
            if (name is null)
            {
                do name = ActorNames.Generated(_nameCounter++); while (_childrenByName.ContainsKey(name));
            }
            else ActorNames.Validate(name, allowReserved: Path.Parent is null);
            if (_childrenByName.ContainsKey(name))
                throw new InvalidActorNameException($"actor name '{name}' is not unique under {Path}");
            child = new ActorCell(System, props, Path.Child(name), SelfRef);
            var entry = new ChildEntry(child.SelfRef);
            _childrenByName.Add(name, entry);
            _childOrder.Add(entry);
        }
        child.Start();
        return child.SelfRef;
    }

    public IActorRef Child(string name)
    {
        lock (_childLock) return _childrenByName.TryGetValue(name, out var e) ? e.Ref : ActorRefs.Nobody;
    }

    internal LocalActorRef? ChildRef(string name)
    {
        lock (_childLock) return _childrenByName.TryGetValue(name, out var e) ? e.Ref : null;
    }

    public IReadOnlyList<IActorRef> Children
    {
        get { lock (_childLock) return _childOrder.Select(e => (IActorRef)e.Ref).ToArray(); }
    }

    private ChildEntry? FindChild(IActorRef child)
    {
        lock (_childLock)
            return _childrenByName.TryGetValue(child.Path.Name, out var e) && e.Ref.Equals(child) ? e : null;
    }

    public void Stop(IActorRef actor)
    {
        var target = actor as IInternalActorRef ?? throw new ArgumentException(
            $"cannot stop {actor.Path}: not a ref of this runtime ({actor.GetType().Name})", nameof(actor));
        if (FindChild(actor) is { } entry) entry.Stopping = true;
        target.SendSystemMessage(Terminate.Instance);
    }

    // ---- death watch --------------------------------------------------------------------------

    public IActorRef Watch(IActorRef subject)
    {
        var target = subject as IInternalActorRef ?? throw new ArgumentException(
            $"cannot watch {subject.Path}: not a ref of this runtime ({subject.GetType().Name})", nameof(subject));
        if (subject.Equals(SelfRef)) return subject;
        _watching ??= new();
        if (!_watching.Contains(subject))
        {
            _watching.Add(subject);
            target.SendSystemMessage(new WatchMsg(subject, SelfRef));
        }
        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        if (_watching is not null && _watching.Remove(subject) && subject is IInternalActorRef target)
            target.SendSystemMessage(new UnwatchMsg(subject, SelfRef));
        return subject;
    }

    private void AddWatcher(WatchMsg w)
    {
        if (!w.Watchee.Equals(SelfRef)) return;
        _watchedBy ??= new();
        if (!_watchedBy.Contains(w.Watcher)) _watchedBy.Add(w.Watcher);
    }

    private void RemoveWatcher(UnwatchMsg u)
    {
        if (u.Watchee.Equals(SelfRef)) _watchedBy?.Remove(u.Watcher);
    }

    private void OnDeathWatchNotification(DeathWatchNotification d)
    {
        // Delivered through the user queue, so it arrives after whatever the dead actor sent before dying.
        if (_watching is not null && _watching.Contains(d.Actor))
            Mailbox.PostUser(new Envelope(new Terminated(d.Actor), d.Actor));
    }

    // ---- message invocation ---------------------------------------------------------------------

    internal void Invoke(Envelope envelope)
    {
        var previous = Current;
        Current = this;
        _current = envelope;
        CurrentStashed = false;
        try
        {
            var message = envelope.Message;
            switch (message)
            {
                case TimerTick tick:
                    var payload = _timers?.Accept(tick);
                    if (payload is null) return;
                    message = payload;
                    _current = new Envelope(payload, null);
                    break;
                case PoisonPill:
                    Stop(SelfRef);
                    return;
                case Kill:
                    throw new ActorKilledException($"{Path} received Kill");
                case Terminated t:
                    if (_watching is null || !_watching.Remove(t.ActorRef)) return; // unwatched meanwhile
                    break;
            }
            if (_actor is null)
            {
                System.PublishDeadLetter(message, envelope.Sender, SelfRef);
                return;
            }
            var pending = _actor.Dispatch(message);
            if (pending is not null) BeginAsync(pending, _current.Value);
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(ex, envelope.Message);
        }
        finally
        {
            _current = null;
            Current = previous;
        }
    }

    internal void SystemInvoke(SystemMessage message)
    {
        if (_terminated)
        {
            AfterTermination(message);
            return;
        }
        var previous = Current;
        Current = this;
        try
        {
            switch (message)
            {
                case Create: CreateInstance(); break;
                case Terminate: BeginTerminate(); break;
                case Resume: ResumeAfterFailure(); break;
                case Recreate r: Restart(r.Cause); break;
                case Failed f: HandleFailed(f); break;
                case WatchMsg w: AddWatcher(w); break;
                case UnwatchMsg u: RemoveWatcher(u); break;
                case DeathWatchNotification d: OnDeathWatchNotification(d); break;
                case ChildTerminated c: OnChildTerminated(c.Child); break;
                case RunContinuation rc: RunAsyncContinuation(rc); break;
                case AsyncHandlerCompleted ac: OnAsyncCompleted(ac.Task); break;
            }
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(ex, null);
        }
        finally
        {
            Current = previous;
        }
    }

    private void AfterTermination(SystemMessage message)
    {
        if (message is WatchMsg w && w.Watchee.Equals(SelfRef) && w.Watcher is IInternalActorRef watcher)
            watcher.SendSystemMessage(new DeathWatchNotification(SelfRef));
    }

    // ---- ReceiveAsync support --------------------------------------------------------------------

    private Task? _pendingAsync;
    private Envelope _asyncEnvelope;

    private void BeginAsync(Task pending, Envelope envelope)
    {
        _pendingAsync = pending;
        _asyncEnvelope = envelope;
        UpdateSuspension();
        pending.ContinueWith(static (t, s) => ((ActorCell)s!).Mailbox.PostSystem(new AsyncHandlerCompleted(t)),
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void RunAsyncContinuation(RunContinuation rc)
    {
        if (_pendingAsync is null || _terminating) return; // the handler was abandoned (restart or stop)
        var previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(SyncContext);
        _current = _asyncEnvelope;
        try { rc.Callback(rc.State); }
        finally
        {
            _current = null;
            SynchronizationContext.SetSynchronizationContext(previousContext);
        }
    }

    private void OnAsyncCompleted(Task task)
    {
        if (!ReferenceEquals(task, _pendingAsync)) return;
        _pendingAsync = null;
        UpdateSuspension();
        if (task.IsFaulted || task.IsCanceled)
        {
            var ex = task.Exception?.InnerExceptions is [var single] ? single
                : task.Exception ?? (Exception)new TaskCanceledException(task);
            HandleInvokeFailure(ex, _asyncEnvelope.Message);
        }
    }

    private void UpdateSuspension() =>
        Mailbox.SetUserSuspended(_failed || _pendingAsync is not null || _terminating || _actor is null);

    private sealed class ChildEntry(LocalActorRef child)
    {
        public LocalActorRef Ref { get; } = child;
        public ChildRestartStats Stats { get; } = new();
        public bool Stopping { get; set; }
    }
}
