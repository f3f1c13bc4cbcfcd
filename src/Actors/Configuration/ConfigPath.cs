using System.Text;

namespace Haven.Actors.Configuration;

/// <summary>
/// Path expressions: keys separated by dots, a quoted key may contain dots (<c>a."b.c".d</c>).
/// </summary>
public static class ConfigPath
{
    /// <summary>Splits a path expression; false with a reason when it is malformed.</summary>
    public static bool TryParse(string text, out IReadOnlyList<string> segments, out string? error)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var touched = false;
        segments = result;
        error = null;
        text = text.Trim();
        if (text.Length == 0)
        {
            error = "empty path";
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                var close = i + 1;
                while (close < text.Length && text[close] != '"')
                {
                    if (text[close] == '\\')
                    {
                        close++;
                    }

                    close++;
                }

                if (close >= text.Length)
                {
                    error = $"unterminated quoted key in path '{Escape(text)}'";
                    return false;
                }

                current.Append(text[(i + 1)..close].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal));
                touched = true;
                i = close;
            }
            else if (c == '.')
            {
                if (!touched)
                {
                    error = $"empty key in path '{Escape(text)}'";
                    return false;
                }

                result.Add(current.ToString());
                current.Clear();
                touched = false;
            }
            else
            {
                current.Append(c);
                touched = true;
            }
        }

        if (!touched)
        {
            error = $"empty key in path '{Escape(text)}'";
            return false;
        }

        result.Add(current.ToString());
        return true;
    }

    /// <summary>Joins keys back into a path expression, quoting keys that need it.</summary>
    public static string Render(IEnumerable<string> segments) => string.Join('.', segments.Select(Quote));

    private static string Quote(string key) =>
        key.Length > 0 && key.All(c => char.IsLetterOrDigit(c) || c is '-' or '_')
            ? key
            : "\"" + Escape(key) + "\"";

    /// <summary>A quoted key's text with JSON's escapes: a control character (a line break) never reaches a message raw.</summary>
    internal static string Escape(string key)
    {
        var sb = new System.Text.StringBuilder(key.Length);
        foreach (var c in key)
            sb.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return sb.ToString();
    }
}
