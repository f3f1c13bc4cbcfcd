using System.Globalization;
using System.Text;
using Haven.Actors.Alerts;

namespace Haven.Adapters.Alerts;

/// <summary>
/// Formats an <see cref="AlertMail"/> as an RFC 5322 message for the DATA phase: CRLF line ends, header fields
/// without control characters (no header injection from event text), a non-ASCII subject as an RFC 2047
/// encoded word, the body as UTF-8 (8bit when the server offers 8BITMIME, else base64), lines over 998
/// octets broken, and dot-stuffing (a line that starts with '.' gets another).
/// </summary>
public static class SmtpMessage
{
    private const int MaxLine = 998;

    /// <summary>Whether the body needs 8BITMIME (it has non-ASCII characters).</summary>
    public static bool IsEightBit(AlertMail mail) => mail.Body.Any(c => c > 127);

    /// <summary>The message, dot-stuffed, ending in CRLF (the caller sends "." CRLF after it).</summary>
    public static string Format(AlertMail mail, string from, IReadOnlyList<string> to, DateTimeOffset date, string messageId, bool eightBitMime)
    {
        ArgumentNullException.ThrowIfNull(mail);
        var headers = new StringBuilder();
        Header(headers, "Date", date.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + date.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal));
        Header(headers, "From", from);
        Header(headers, "To", string.Join(", ", to));
        Header(headers, "Subject", EncodeWord(Clean(mail.Subject)));
        Header(headers, "Message-ID", $"<{messageId}>");
        Header(headers, "MIME-Version", "1.0");
        Header(headers, "Content-Type", "text/plain; charset=utf-8");
        Header(headers, "X-Haven-Alert", mail.IsSummary ? "summary" : string.Join(", ", mail.Alerts.Select(a => a.Alert.Kind.Name()).Distinct()));

        string body;
        if (!IsEightBit(mail))
        {
            Header(headers, "Content-Transfer-Encoding", "7bit");
            body = mail.Body;
        }
        else if (eightBitMime)
        {
            Header(headers, "Content-Transfer-Encoding", "8bit");
            body = mail.Body;
        }
        else
        {
            Header(headers, "Content-Transfer-Encoding", "base64");
            body = Convert.ToBase64String(Encoding.UTF8.GetBytes(mail.Body), Base64FormattingOptions.InsertLineBreaks);
        }

        var message = new StringBuilder(headers.ToString()).Append("\r\n");
        foreach (var line in Lines(body))
        {
            message.Append(line.StartsWith('.') ? "." + line : line).Append("\r\n");
        }

        return message.ToString();
    }

    /// <summary>Splits on CRLF, CR or LF and breaks lines longer than 998 characters.</summary>
    private static IEnumerable<string> Lines(string text)
    {
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (normalized.EndsWith('\n'))
        {
            normalized = normalized[..^1];
        }

        foreach (var line in normalized.Split('\n'))
        {
            if (line.Length <= MaxLine)
            {
                yield return line;
                continue;
            }

            for (var i = 0; i < line.Length; i += MaxLine)
            {
                yield return line.Substring(i, Math.Min(MaxLine, line.Length - i));
            }
        }
    }

    private static void Header(StringBuilder target, string name, string value) => target.Append(name).Append(": ").Append(Clean(value)).Append("\r\n");

    private static string Clean(string value) => string.Concat(value.Select(c => char.IsControl(c) ? ' ' : c));

    private static string EncodeWord(string text) =>
        text.All(c => c is >= ' ' and <= '~') ? text : $"=?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(text))}?=";
}
