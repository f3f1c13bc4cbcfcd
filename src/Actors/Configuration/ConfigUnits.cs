using System.Globalization;

namespace Haven.Actors.Configuration;

/// <summary>
/// Conversions of scalar text: booleans (true/false/on/off/yes/no), durations (<c>5s</c>,
/// <c>100 ms</c>, <c>1.5h</c>; a plain number is milliseconds) and sizes (<c>64k</c> = 64 KiB,
/// <c>10 MB</c> = 10,000,000 bytes, <c>1MiB</c>; a plain number is bytes).
/// </summary>
public static class ConfigUnits
{
    private static readonly Dictionary<string, double> DurationTicks = Table(
        (TimeSpan.TicksPerMillisecond / 1_000_000.0, ["ns", "nano", "nanos", "nanosecond", "nanoseconds"]),
        (TimeSpan.TicksPerMillisecond / 1_000.0, ["us", "µs", "micro", "micros", "microsecond", "microseconds"]),
        (TimeSpan.TicksPerMillisecond, ["ms", "milli", "millis", "millisecond", "milliseconds"]),
        (TimeSpan.TicksPerSecond, ["s", "second", "seconds"]),
        (TimeSpan.TicksPerMinute, ["m", "minute", "minutes"]),
        (TimeSpan.TicksPerHour, ["h", "hour", "hours"]),
        (TimeSpan.TicksPerDay, ["d", "day", "days"]));

    private static readonly Dictionary<string, double> SizeBytes = Table(
        (1, ["B", "b", "byte", "bytes"]),
        (1e3, ["kB", "kilobyte", "kilobytes"]),
        (1e6, ["MB", "megabyte", "megabytes"]),
        (1e9, ["GB", "gigabyte", "gigabytes"]),
        (1e12, ["TB", "terabyte", "terabytes"]),
        (1024, ["K", "k", "Ki", "KiB", "kibibyte", "kibibytes"]),
        (1024.0 * 1024, ["M", "m", "Mi", "MiB", "mebibyte", "mebibytes"]),
        (1024.0 * 1024 * 1024, ["G", "g", "Gi", "GiB", "gibibyte", "gibibytes"]),
        (1024.0 * 1024 * 1024 * 1024, ["T", "t", "Ti", "TiB", "tebibyte", "tebibytes"]));

    public static bool TryParseBoolean(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "true" or "on" or "yes":
                value = true;
                return true;
            case "false" or "off" or "no":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        if (!TrySplit(text, out var number, out var unit))
        {
            return false;
        }

        double ticksPerUnit = TimeSpan.TicksPerMillisecond;
        if (unit.Length > 0 && !DurationTicks.TryGetValue(unit, out ticksPerUnit))
        {
            return false;
        }

        var ticks = Math.Round(number * ticksPerUnit);
        if (double.IsNaN(ticks) || Math.Abs(ticks) >= long.MaxValue)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    public static bool TryParseBytes(string text, out long value)
    {
        value = 0;
        if (!TrySplit(text, out var number, out var unit))
        {
            return false;
        }

        double factor = 1;
        if (unit.Length > 0 && !SizeBytes.TryGetValue(unit, out factor))
        {
            return false;
        }

        var bytes = Math.Round(number * factor);
        if (double.IsNaN(bytes) || bytes < 0 || bytes >= long.MaxValue)
        {
            return false;
        }

        value = (long)bytes;
        return true;
    }

    /// <summary>True when the text is a number followed by a unit (not a bare number).</summary>
    internal static bool HasUnit(string text) => TrySplit(text, out _, out var unit) && unit.Length > 0;

    private static bool TrySplit(string text, out double number, out string unit)
    {
        text = text.Trim();
        var end = 0;
        if (end < text.Length && text[end] == '-')
        {
            end++;
        }

        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }

        unit = text[end..].Trim();
        return double.TryParse(text[..end], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number)
            && double.IsFinite(number);
    }

    private static Dictionary<string, double> Table(params (double Factor, string[] Names)[] rows)
    {
        var table = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (factor, names) in rows)
        {
            foreach (var name in names)
            {
                table[name] = factor;
            }
        }

        return table;
    }
}
