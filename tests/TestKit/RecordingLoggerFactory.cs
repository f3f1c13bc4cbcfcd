using Microsoft.Extensions.Logging;

namespace Haven.TestKit;

/// <summary>One log entry as <see cref="RecordingLoggerFactory"/> kept it: category, level and the formatted message.</summary>
public sealed record LogEntry(string Category, LogLevel Level, string Message);

/// <summary>An ILoggerFactory that keeps every entry of every logger it made, for tests that assert what was logged.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly List<LogEntry> _entries = new();

    /// <summary>A copy of the entries so far, in order.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get { lock (_entries) return _entries.ToList(); }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Logger(RecordingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            lock (owner._entries) owner._entries.Add(new LogEntry(category, logLevel, formatter(state, exception)));
        }
    }
}
