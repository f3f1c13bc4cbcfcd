using Haven.Actors.Runtime;

namespace Haven.TestKit;

/// <summary>
/// How the test kit "waits". Deterministic systems (a <see cref="DeterministicDispatcher"/> plus a
/// <see cref="VirtualClock"/>): run the dispatcher until idle, and while the condition is false move
/// virtual time to the next due timer (never past the deadline), repeating; nothing sleeps. Other
/// systems: block on a monitor for at most the timeout in real time.
/// </summary>
public static class Driver
{
    public static bool IsDeterministic(ActorSystem system) =>
        system.Dispatcher is DeterministicDispatcher && system.TimeProvider is VirtualClock;

    /// <summary>Drives <paramref name="system"/> until <paramref name="condition"/> holds or the timeout passes.</summary>
    public static bool WaitUntil(ActorSystem system, Func<bool> condition, TimeSpan timeout, object? monitor = null)
    {
        if (timeout < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "timeout must not be negative");
        if (system.Dispatcher is DeterministicDispatcher dispatcher && system.TimeProvider is VirtualClock clock)
            return WaitDeterministic(dispatcher, clock, condition, clock.GetUtcNow() + timeout);
        return WaitReal(condition, timeout, monitor);
    }

    private static bool WaitDeterministic(DeterministicDispatcher dispatcher, VirtualClock clock, Func<bool> condition, DateTimeOffset deadline)
    {
        while (true)
        {
            dispatcher.RunUntilIdle();
            if (condition()) return true;
            var now = clock.GetUtcNow();
            var next = clock.NextDue;
            if (next is null || next.Value > deadline)
            {
                if (now < deadline) clock.AdvanceTo(deadline);
                dispatcher.RunUntilIdle();
                return condition();
            }
            clock.AdvanceTo(next.Value < now ? now : next.Value);
        }
    }

    private static bool WaitReal(Func<bool> condition, TimeSpan timeout, object? monitor)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var gate = monitor ?? new object();
        lock (gate)
        {
            while (!condition())
            {
                var left = timeout - stopwatch.Elapsed;
                if (left <= TimeSpan.Zero) return false;
                // Without a monitor to pulse, re-check every few milliseconds.
                Monitor.Wait(gate, monitor is null ? TimeSpan.FromMilliseconds(Math.Min(5, left.TotalMilliseconds + 1)) : left);
            }
            return true;
        }
    }

    /// <summary>Drives the system until the task completes, then returns its result (or rethrows its exception).</summary>
    public static T Await<T>(ActorSystem system, Task<T> task, TimeSpan timeout)
    {
        if (!WaitUntil(system, () => task.IsCompleted, timeout))
            throw new TestKitAssertionException($"task did not complete within {timeout} ({(IsDeterministic(system) ? "virtual" : "real")} time)");
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Drives the system until the task completes and returns the exception it failed with.</summary>
    public static Exception AwaitFailure(ActorSystem system, Task task, TimeSpan timeout)
    {
        if (!WaitUntil(system, () => task.IsCompleted, timeout))
            throw new TestKitAssertionException($"task did not complete within {timeout}");
        if (task.Exception is { } aggregate)
            return aggregate.InnerExceptions.Count == 1 ? aggregate.InnerExceptions[0] : aggregate;
        if (task.IsCanceled) return new TaskCanceledException(task);
        throw new TestKitAssertionException("expected the task to fail, but it completed successfully");
    }
}

/// <summary>A failed test-kit expectation.</summary>
public sealed class TestKitAssertionException(string message) : Xunit.Sdk.XunitException(message);
