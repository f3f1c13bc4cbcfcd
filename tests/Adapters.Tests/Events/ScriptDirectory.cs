using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Events;

/// <summary>A temporary events.d (mode 0700) with helpers to write scripts into it; deleted on dispose.</summary>
internal sealed class ScriptDirectory : IDisposable
{
    public const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode NotExecutable = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public ScriptDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "haven-events-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path, Executable);
        Journal = System.IO.Path.Combine(Path, "journal.txt");
    }

    public string Path { get; }

    /// <summary>A file scripts append to (<c>$JOURNAL</c> is substituted in script bodies); not itself a script (no NN).</summary>
    public string Journal { get; }

    public string[] JournalLines => File.Exists(Journal) ? File.ReadAllLines(Journal) : [];

    /// <summary>Writes a /bin/sh script <paramref name="name"/> with <paramref name="body"/> and <paramref name="mode"/>.</summary>
    public string Write(string name, string body, UnixFileMode mode = Executable)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body.Replace("$JOURNAL", $"'{Journal}'", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>A script that appends "NAME ARGS" to the journal.</summary>
    public string WriteRecorder(string name, UnixFileMode mode = Executable) => Write(name, $"echo \"{name} $*\" >> $JOURNAL", mode);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}

/// <summary>An ILogger that keeps every message and calls <see cref="OnMessage"/> for each (a barrier for tests).</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public Action<string>? OnMessage { get; set; }

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get { lock (_entries) return [.. _entries]; }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = formatter(state, exception);
        lock (_entries) _entries.Add((logLevel, message));
        OnMessage?.Invoke(message);
    }
}
