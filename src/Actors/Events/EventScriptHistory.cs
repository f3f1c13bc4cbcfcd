using System.Collections.Immutable;

namespace Haven.Actors.Events;

/// <summary>How a script last ran: the event, its exit code (-1 when killed at the timeout), how long, and when it finished.</summary>
public sealed record ScriptRunRecord(string Script, string Event, int ExitCode, bool TimedOut, TimeSpan Duration, DateTimeOffset At)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}

/// <summary>The last result of every script and the last refused run (for <c>haven events scripts</c>); thread-safe.</summary>
public sealed class EventScriptHistory
{
    private ImmutableDictionary<string, ScriptRunRecord> _last = ImmutableDictionary<string, ScriptRunRecord>.Empty.WithComparers(StringComparer.Ordinal);

    private long _runs;
    private long _failures;

    public ImmutableDictionary<string, ScriptRunRecord> Last => Volatile.Read(ref _last);

    /// <summary>Script runs since the daemon started (one per script per event).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Script runs that exited non-zero or were killed at the timeout.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void Record(EventRunResult result, DateTimeOffset finishedAt)
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var s in result.Scripts)
        {
            Interlocked.Increment(ref _runs);
            if (s.ExitCode != 0 || s.TimedOut) Interlocked.Increment(ref _failures);
        }
        ImmutableInterlocked.Update(ref _last, last =>
        {
            foreach (var s in result.Scripts)
                last = last.SetItem(s.Name, new ScriptRunRecord(s.Name, result.Event.Name, s.ExitCode, s.TimedOut, s.Duration, finishedAt));
            return last;
        });
    }
}

/// <summary>
/// Wraps the host's script runner: one event at a time for the whole host (CTDB never runs two events at
/// once: a monitor waits for a takeip and the other way round), and every result into <see cref="EventScriptHistory"/>.
/// </summary>
public sealed class SerializedEventScriptRunner(IEventScriptRunner inner, EventScriptHistory history, TimeProvider time) : IEventScriptRunner, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public EventScriptHistory History { get; } = history ?? throw new ArgumentNullException(nameof(history));

    public ScriptPlan Inspect() => inner.Inspect();

    public async Task<EventRunResult> RunAsync(ScriptEvent scriptEvent, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await inner.RunAsync(scriptEvent, cancellationToken).ConfigureAwait(false);
            History.Record(result, time.GetUtcNow());
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
