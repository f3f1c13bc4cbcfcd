namespace Haven.Actors.Configuration;

/// <summary>Where a value was written: file (or source name), 1-based line and column.</summary>
public sealed record ConfigOrigin(string Source, int Line, int Column)
{
    public override string ToString() => $"{Source}:{Line}:{Column}";
}

/// <summary>
/// The text is not valid HOCON, or an include or substitution cannot be resolved. The message is
/// <c>FILE:LINE:COL: what is wrong</c>.
/// </summary>
public sealed class HoconException : Exception
{
    public HoconException(string sourceName, int line, int column, string reason)
        : base($"{sourceName}:{line}:{column}: {reason}")
    {
        SourceName = sourceName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    internal HoconException(ConfigOrigin origin, string reason)
        : this(origin.Source, origin.Line, origin.Column, reason)
    {
    }

    public string SourceName { get; }
    public int Line { get; }
    public int Column { get; }

    /// <summary>The message without the position prefix.</summary>
    public string Reason { get; }
}

/// <summary>
/// A setting is missing or has the wrong type. The message is <c>ORIGIN: PATH: what is wrong</c>
/// (or <c>PATH: what is wrong</c> when there is no origin).
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message)
        : base(message)
    {
        Reason = message;
    }

    public ConfigException(string path, ConfigOrigin? origin, string reason)
        : base(origin is null ? $"{path}: {reason}" : $"{origin}: {path}: {reason}")
    {
        Path = path;
        Origin = origin;
        Reason = reason;
    }

    public string? Path { get; }
    public ConfigOrigin? Origin { get; }

    /// <summary>What is wrong, without the path and origin (the whole message when there is no path).</summary>
    public string Reason { get; }
}
