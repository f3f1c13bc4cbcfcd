using Microsoft.Extensions.Logging;

namespace Haven.Actors.Runtime;

/// <summary>
/// A tree of actors: root <c>haven://{name}/</c> with the guardians <c>/user</c> (your actors) and
/// <c>/system</c> (runtime and test helpers), plus scheduler, event stream and dead letters.
/// </summary>
public sealed class ActorSystem
{
    private readonly ActorCell _root;
    private readonly LocalActorRef _user;
    private readonly LocalActorRef _systemGuardian;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _randomLock = new();
    private long _tempCounter;

    private ActorSystem(string name, ActorSystemSettings settings)
    {
        Name = name;
        Settings = settings;
        Dispatcher = settings.Dispatcher ?? new ThreadPoolDispatcher(settings.Throughput);
        TimeProvider = settings.TimeProvider;
        Scheduler = new TimeProviderScheduler(settings.TimeProvider);
        LoggerFactory = settings.LoggerFactory;
        Log = LoggerFactory.CreateLogger("Haven.Actors.Runtime.ActorSystem");
        var rootPath = ActorPath.Root(name);
        DeadLetters = new DeadLettersRef(this, rootPath.Child("deadLetters"));
        _root = new ActorCell(this, Props.Create(() => new GuardianActor(SupervisorStrategy.StoppingStrategy)),
            rootPath, new RootParentRef(this), isRoot: true);
        var strategy = settings.GuardianSupervisorStrategy;
        _user = (LocalActorRef)_root.ActorOf(Props.Create(() => new GuardianActor(strategy)), "user");
        _systemGuardian = (LocalActorRef)_root.ActorOf(Props.Create(() => new GuardianActor(SupervisorStrategy.Default)), "system");
        _root.Start();
    }

    public static ActorSystem Create(string name, ActorSystemSettings? settings = null)
    {
        if (string.IsNullOrEmpty(name) || !char.IsAsciiLetterOrDigit(name[0]) ||
            !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException(
                $"actor system name '{name}' is invalid: use ASCII letters, digits, '-' and '_', starting with a letter or digit", nameof(name));
        return new ActorSystem(name, settings ?? new ActorSystemSettings());
    }

    public string Name { get; }
    public ActorSystemSettings Settings { get; }
    public MessageDispatcher Dispatcher { get; }
    public TimeProvider TimeProvider { get; }
    public IScheduler Scheduler { get; }
    public EventStream EventStream { get; } = new();
    public ILoggerFactory LoggerFactory { get; }
    public ILogger Log { get; }
    public IActorRef DeadLetters { get; }
    public Task WhenTerminated => _terminated.Task;

    /// <summary>Creates a top-level actor under /user.</summary>
    public IActorRef ActorOf(Props props, string? name = null) => _user.Cell.ActorOf(props, name);

    /// <summary>Creates an actor under /system (runtime helpers, test probes).</summary>
    public IActorRef SystemActorOf(Props props, string? name = null) => _systemGuardian.Cell.ActorOf(props, name);

    public void Stop(IActorRef actor) => _user.Cell.Stop(actor);

    /// <summary>Stops /user (top-down signal, PostStop bottom-up), then /system, then completes WhenTerminated.</summary>
    public Task Terminate()
    {
        _root.SelfRef.SendSystemMessage(Runtime.Terminate.Instance);
        return WhenTerminated;
    }

    /// <summary>The live actor at <paramref name="path"/>, or a ref that turns messages into dead letters.</summary>
    public IActorRef Lookup(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var prefix = _root.Path.ToString();
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
            throw new ArgumentException($"path '{path}' does not belong to actor system '{Name}' (expected prefix {prefix})", nameof(path));
        var cell = _root;
        var rest = path[prefix.Length..];
        var target = _root.Path;
        foreach (var element in rest.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            target = target.Child(element);
            var child = cell?.ChildRef(element);
            cell = child?.Cell;
        }
        return cell is { IsTerminated: false } ? cell.SelfRef : new DeadLettersRef(this, target);
    }

    internal void PublishDeadLetter(object message, IActorRef? sender, IActorRef recipient)
    {
        if (message is AllDeadLetters) return; // never letters about letters
        Log.LogDebug("Dead letter {MessageType} from {Sender} to {Recipient}",
            message.GetType().Name, sender?.Path.ToString() ?? "no sender", recipient.Path.ToString());
        EventStream.Publish(new DeadLetter(message, sender ?? DeadLetters, recipient));
    }

    internal void PublishUnhandled(object message, IActorRef? sender, IActorRef recipient)
    {
        Log.LogDebug("Unhandled {MessageType} from {Sender} at {Recipient}",
            message.GetType().Name, sender?.Path.ToString() ?? "no sender", recipient.Path.ToString());
        EventStream.Publish(new UnhandledMessage(message, sender ?? DeadLetters, recipient));
    }

    internal void DeadSystemMessage(IActorRef recipient, SystemMessage message)
    {
        if (message is WatchMsg { Watcher: IInternalActorRef watcher })
            watcher.SendSystemMessage(new DeathWatchNotification(recipient));
    }

    internal double NextRandomDouble()
    {
        lock (_randomLock) return Settings.Random.NextDouble();
    }

    internal ActorPath NextTempPath() => _root.Path.Child("temp").Child(ActorNames.Generated(Interlocked.Increment(ref _tempCounter)));

    internal void MarkTerminated() => _terminated.TrySetResult();

    public override string ToString() => $"ActorSystem({Name})";
}
