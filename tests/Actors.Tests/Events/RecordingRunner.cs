using System.Collections.Immutable;
using Haven.Actors.Events;

namespace Haven.Actors.Tests.Events;

/// <summary>
/// An <see cref="IEventScriptRunner"/> with one pretend script "10.test": records every event's argv as a line,
/// fails the events <see cref="Fails"/> picks (exit 1), and holds the events <see cref="Holds"/> picks until
/// <see cref="Release"/> (a barrier for "the actor is in the middle of a run").
/// </summary>
internal sealed class RecordingRunner : IEventScriptRunner
{
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Func<ScriptEvent, bool> Fails { get; init; } = _ => false;

    public Func<ScriptEvent, bool> Holds { get; init; } = _ => false;

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    /// <summary>The line of the run being held, once one is.</summary>
    public string? Holding { get; private set; }

    public void Release() => _released.TrySetResult();

    public ScriptPlan Inspect() => new("/test/events.d", [new PlannedScript(10, "10.test", "/test/events.d/10.test")], [], []);

    public async Task<EventRunResult> RunAsync(ScriptEvent scriptEvent, CancellationToken cancellationToken)
    {
        var line = string.Join(' ', scriptEvent.Argv);
        lock (_lines) _lines.Add(line);
        if (Holds(scriptEvent))
        {
            Holding = line;
            await _released.Task;
        }
        var exit = Fails(scriptEvent) ? 1 : 0;
        return new EventRunResult(scriptEvent, [new ScriptResult("10.test", exit, false, TimeSpan.FromMilliseconds(5), "")], ImmutableArray<string>.Empty, false);
    }
}
