using Microsoft.Extensions.Logging;

namespace Haven.Actors.Runtime;

/// <summary>Wraps a category logger so every entry carries the actor's path as the ActorPath scope property.</summary>
internal sealed class ActorLogger(ILogger inner, ActorPath path) : ILogger
{
    private readonly ActorPathScope _scope = new(path.ToString());

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);
    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel)) return;
        using (inner.BeginScope(_scope))
            inner.Log(logLevel, eventId, state, exception, formatter);
    }

    /// <summary>A structured scope: { ActorPath = "haven://…" }.</summary>
    internal sealed class ActorPathScope(string path) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Path { get; } = path;
        public int Count => 1;
        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new("ActorPath", Path) : throw new ArgumentOutOfRangeException(nameof(index));
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() { yield return this[0]; }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => $"ActorPath:{Path}";
    }
}
