namespace Haven.Actors.Runtime;

public static class AskExtensions
{
    /// <summary>
    /// Sends <paramref name="message"/> with a temporary ref as sender and completes with the first reply.
    /// A <see cref="Status.Failure"/> reply fails the task with its cause; a reply of another type fails it
    /// with InvalidCastException; no reply within <paramref name="timeout"/> (measured on the target system's
    /// scheduler) fails it with <see cref="AskTimeoutException"/>.
    /// </summary>
    public static Task<T> Ask<T>(this IActorRef target, object message, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Ask timeout must be positive");
        var system = (target as IInternalActorRef)?.System;
        if (system is null)
            return Task.FromException<T>(new AskTimeoutException(
                $"Ask of {message.GetType().Name} to {target.Path} cannot complete: the recipient is not a live actor"));
        var promise = new PromiseActorRef<T>(system.NextTempPath(), target, message, timeout);
        promise.Arm(system.Scheduler);
        target.Tell(message, promise);
        return promise.Task;
    }
}

/// <summary>The temporary sender of an Ask: its first message completes the task.</summary>
internal sealed class PromiseActorRef<T>(ActorPath path, IActorRef target, object question, TimeSpan timeout) : IActorRef
{
    private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ICancelable? _timeout;

    public ActorPath Path { get; } = path;
    public Task<T> Task => _tcs.Task;

    public void Arm(IScheduler scheduler) =>
        _timeout = scheduler.ScheduleOnce(timeout, () => _tcs.TrySetException(new AskTimeoutException(
            $"Ask timed out after {timeout} waiting for a {typeof(T).Name} from {target.Path} in reply to {question.GetType().Name}")));

    public void Tell(object message, IActorRef? sender)
    {
        var done = message switch
        {
            T reply => _tcs.TrySetResult(reply),
            Status.Failure f => _tcs.TrySetException(f.Cause),
            _ => _tcs.TrySetException(new InvalidCastException(
                $"Ask to {target.Path} expected a reply of type {typeof(T).Name} but got {message.GetType().Name}")),
        };
        if (done) _timeout?.Cancel();
    }

    public override bool Equals(object? obj) => obj is IActorRef r && r.Path == Path;
    public override int GetHashCode() => Path.GetHashCode();
    public override string ToString() => $"[{Path}]";
}
