using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Event;

namespace Haven.Actors.Akka;

/// <summary>The lines a simulated run produced, in order; two runs are the same run when their texts are equal.</summary>
public sealed class SimTrace
{
    private readonly object _gate = new();
    private readonly List<string> _lines = [];

    public void Add(string line)
    {
        lock (_gate) _lines.Add(line);
    }

    public int Count { get { lock (_gate) return _lines.Count; } }

    public IReadOnlyList<string> Lines { get { lock (_gate) return _lines.ToList(); } }

    /// <summary>The lines, each ended by '\n'.</summary>
    public string Text
    {
        get
        {
            lock (_gate)
            {
                var text = new StringBuilder();
                foreach (var line in _lines) text.Append(line).Append('\n');
                return text.ToString();
            }
        }
    }

    /// <summary>SHA-256 of <see cref="Text"/> in UTF-8, hex.</summary>
    public string Hash => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Text)));

    internal void Clear()
    {
        lock (_gate) _lines.Clear();
    }
}

/// <summary>
/// Akka's logger for a simulated host: synchronous (no logger actor, no Ask at start-up, no thread), and it writes
/// each event without timestamp or actor UID as a trace line of the loop running on this thread. Events from any
/// other thread (ActorSystem.Create's caller, shutdown) go to standard error from Warning up.
/// </summary>
public sealed partial class SimLogger : MinimalLogger
{
    protected override void Log(object message)
    {
        if (message is not LogEvent e) return;
        var line = $"log {e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToLowerInvariant()} " +
                   $"{StableKey.Normalise(Uid().Replace(e.LogSource ?? "", ""))}: {Uid().Replace(e.Message?.ToString() ?? "", "")}" +
                   (e.Cause is { } cause ? $" ({cause.GetType().Name}: {cause.Message})" : "");
        if (SimLoop.Running is { } loop) loop.Trace.Add(line);
        else if (e.LogLevel() >= LogLevel.WarningLevel) Console.Error.WriteLine(line);
    }

    [GeneratedRegex("#-?[0-9]+")]
    private static partial Regex Uid();
}
