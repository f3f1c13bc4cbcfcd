using System.Globalization;
using System.Text;

namespace Haven.Actors.Configuration;

internal enum TokenKind
{
    End,
    Newline,
    Whitespace,
    Comma,
    Colon,
    Equals,
    PlusEquals,
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    QuotedString,
    Unquoted,
    Substitution,
}

internal readonly record struct HoconToken(TokenKind Kind, string Text, int Line, int Column, bool Optional = false)
{
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of file",
        TokenKind.Newline => "a newline",
        TokenKind.Whitespace => "whitespace",
        TokenKind.Comma => "','",
        TokenKind.Colon => "':'",
        TokenKind.Equals => "'='",
        TokenKind.PlusEquals => "'+='",
        TokenKind.OpenBrace => "'{'",
        TokenKind.CloseBrace => "'}'",
        TokenKind.OpenBracket => "'['",
        TokenKind.CloseBracket => "']'",
        TokenKind.QuotedString => $"string \"{Text}\"",
        TokenKind.Substitution => Optional ? $"${{?{Text}}}" : $"${{{Text}}}",
        _ => $"'{Text}'",
    };
}

/// <summary>Turns HOCON text into tokens with line and column. Comments are dropped; newlines and whitespace are kept.</summary>
internal sealed class HoconLexer
{
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";
    private readonly string text;
    private readonly string source;
    private readonly List<HoconToken> tokens = [];
    private int pos;
    private int line = 1;
    private int column = 1;

    private HoconLexer(string text, string source)
    {
        this.text = text;
        this.source = source;
    }

    public static List<HoconToken> Tokenize(string text, string source)
    {
        var lexer = new HoconLexer(text, source);
        lexer.Run();
        return lexer.tokens;
    }

    private char Current => text[pos];
    private char PeekAt(int offset) => pos + offset < text.Length ? text[pos + offset] : '\0';

    private void Run()
    {
        while (pos < text.Length)
        {
            var c = Current;
            int startLine = line, startColumn = column;
            if (c == '\n' || (c == '\r' && PeekAt(1) == '\n'))
            {
                Advance(c == '\r' ? 2 : 1);
                Add(TokenKind.Newline, "\n", startLine, startColumn);
            }
            else if (IsWhitespace(c))
            {
                var start = pos;
                while (pos < text.Length && Current != '\n' && IsWhitespace(Current) && !(Current == '\r' && PeekAt(1) == '\n'))
                {
                    Advance(1);
                }

                Add(TokenKind.Whitespace, text[start..pos], startLine, startColumn);
            }
            else if (c == '#' || (c == '/' && PeekAt(1) == '/'))
            {
                while (pos < text.Length && Current != '\n' && !(Current == '\r' && PeekAt(1) == '\n'))
                {
                    Advance(1);
                }
            }
            else
            {
                LexStructure(c, startLine, startColumn);
            }
        }

        tokens.Add(new HoconToken(TokenKind.End, "", line, column));
    }

    private void LexStructure(char c, int startLine, int startColumn)
    {
        TokenKind? single = c switch
        {
            '{' => TokenKind.OpenBrace,
            '}' => TokenKind.CloseBrace,
            '[' => TokenKind.OpenBracket,
            ']' => TokenKind.CloseBracket,
            ',' => TokenKind.Comma,
            ':' => TokenKind.Colon,
            '=' => TokenKind.Equals,
            _ => null,
        };
        if (single is { } kind)
        {
            Advance(1);
            Add(kind, c.ToString(), startLine, startColumn);
        }
        else if (c == '+')
        {
            if (PeekAt(1) != '=')
            {
                throw Error(startLine, startColumn, "unexpected '+'; did you mean '+='?");
            }

            Advance(2);
            Add(TokenKind.PlusEquals, "+=", startLine, startColumn);
        }
        else if (c == '"')
        {
            if (PeekAt(1) == '"' && PeekAt(2) == '"')
            {
                LexTripleQuoted(startLine, startColumn);
            }
            else
            {
                LexQuoted(startLine, startColumn);
            }
        }
        else if (c == '$')
        {
            if (PeekAt(1) != '{')
            {
                throw Error(startLine, startColumn, "unexpected '$'; a substitution is written ${path}; quote strings that contain '$'");
            }

            LexSubstitution(startLine, startColumn);
        }
        else if (Forbidden.Contains(c))
        {
            throw Error(startLine, startColumn, $"unexpected character '{c}'; quote strings that contain it");
        }
        else
        {
            var start = pos;
            while (pos < text.Length && Current != '\n' && !IsWhitespace(Current) && !Forbidden.Contains(Current) && !(Current == '/' && PeekAt(1) == '/'))
            {
                Advance(1);
            }

            Add(TokenKind.Unquoted, text[start..pos], startLine, startColumn);
        }
    }

    private void LexQuoted(int startLine, int startColumn)
    {
        Advance(1);
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= text.Length || Current == '\n')
            {
                throw Error(startLine, startColumn, "unterminated string: missing closing '\"' on this line");
            }

            var c = Current;
            if (c == '"')
            {
                Advance(1);
                break;
            }

            if (c != '\\')
            {
                sb.Append(c);
                Advance(1);
                continue;
            }

            int escLine = line, escColumn = column;
            var e = PeekAt(1);
            switch (e)
            {
                case '"': case '\\': case '/': sb.Append(e); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    var hex = pos + 6 <= text.Length ? text.Substring(pos + 2, 4) : "";
                    if (!int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code) || hex.Length != 4)
                    {
                        throw Error(escLine, escColumn, "invalid escape '\\u': expected four hexadecimal digits");
                    }

                    sb.Append((char)code);
                    Advance(4);
                    break;
                default:
                    var shown = e is '\0' or '\n' or '\r' ? "" : e.ToString();
                    throw Error(escLine, escColumn, $"invalid escape '\\{shown}' in string");
            }

            Advance(2);
        }

        Add(TokenKind.QuotedString, sb.ToString(), startLine, startColumn);
    }

    private void LexTripleQuoted(int startLine, int startColumn)
    {
        var end = text.IndexOf("\"\"\"", pos + 3, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error(startLine, startColumn, "unterminated triple-quoted string: missing closing '\"\"\"'");
        }

        while (end + 3 < text.Length && text[end + 3] == '"')
        {
            end++;
        }

        var content = text[(pos + 3)..end];
        Advance(end + 3 - pos);
        Add(TokenKind.QuotedString, content, startLine, startColumn);
    }

    private void LexSubstitution(int startLine, int startColumn)
    {
        Advance(2);
        var optional = false;
        if (pos < text.Length && Current == '?')
        {
            optional = true;
            Advance(1);
        }

        var start = pos;
        var inQuotes = false;
        while (true)
        {
            if (pos >= text.Length || Current == '\n')
            {
                throw Error(startLine, startColumn, "unterminated substitution: missing closing '}'");
            }

            if (Current == '"')
            {
                inQuotes = !inQuotes;
            }
            else if (Current == '\\' && inQuotes)
            {
                Advance(1);
            }
            else if (Current == '}' && !inQuotes)
            {
                break;
            }

            Advance(1);
        }

        var body = text[start..pos].Trim();
        Advance(1);
        if (body.Length == 0)
        {
            throw Error(startLine, startColumn, "empty substitution: write ${path}");
        }

        tokens.Add(new HoconToken(TokenKind.Substitution, body, startLine, startColumn, optional));
    }

    private static bool IsWhitespace(char c) => c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF');

    private void Add(TokenKind kind, string value, int startLine, int startColumn) =>
        tokens.Add(new HoconToken(kind, value, startLine, startColumn));

    private void Advance(int count)
    {
        for (var i = 0; i < count && pos < text.Length; i++)
        {
            if (text[pos] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }

            pos++;
        }
    }

    private HoconException Error(int atLine, int atColumn, string reason) => new(source, atLine, atColumn, reason);
}
