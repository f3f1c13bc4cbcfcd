using System.Text;

namespace Haven.Actors.Configuration;

/// <summary>
/// Parses one document's tokens into an object, merging as it goes: a later object merges into an
/// earlier one at the same key, a later scalar replaces it. Includes parse into the including object.
/// </summary>
internal sealed partial class HoconDocumentParser
{
    private const int MaxDepth = 100;
    private const int MaxIncludeDepth = 20;
    private readonly List<HoconToken> tokens;
    private readonly string source;
    private readonly Context context;
    private int depth;
    private int pos;

    public HoconDocumentParser(List<HoconToken> tokens, string source, Context context, int depth)
    {
        this.tokens = tokens;
        this.source = source;
        this.context = context;
        this.depth = depth;
    }

    internal sealed record Context(IHoconIncludeResolver? Includes, HoconObject? Fallback, List<string> IncludeStack);

    public void ParseRoot(HoconObject target, IReadOnlyList<string> prefix)
    {
        SkipBlank();
        var t = Peek();
        if (t.Kind == TokenKind.OpenBracket)
        {
            throw Error(t, "the root of a configuration must be an object, found '['");
        }

        if (t.Kind != TokenKind.OpenBrace)
        {
            ParseObjectBody(target, prefix, null);
            return;
        }

        Next();
        ParseObjectBody(target, prefix, t);
        SkipBlank();
        if (Peek().Kind != TokenKind.End)
        {
            throw Error(Peek(), $"expected end of file after the root object's closing '}}', found {Peek().Describe()}");
        }
    }

    private void ParseObjectBody(HoconObject target, IReadOnlyList<string>? prefix, HoconToken? open)
    {
        Enter(open ?? Peek());
        while (true)
        {
            SkipBlank();
            var t = Peek();
            if (open is not null && t.Kind == TokenKind.CloseBrace)
            {
                Next();
                break;
            }

            if (t.Kind == TokenKind.End)
            {
                if (open is { } o)
                {
                    throw Error(t, $"expected '}}' to close the object opened at {o.Line}:{o.Column}, found end of file");
                }

                break;
            }

            var what = IsInclude() ? ParseInclude(target, prefix) : ParseField(target, prefix, open is not null);
            SkipWhitespace();
            t = Peek();
            if (t.Kind == TokenKind.Comma)
            {
                Next();
            }
            else if (t.Kind is not (TokenKind.Newline or TokenKind.End) && !(t.Kind == TokenKind.CloseBrace && open is not null))
            {
                var hint = t.Kind == TokenKind.Colon ? "; quote strings that contain ':'" : "";
                throw Error(t, $"expected ',' or a newline after {what}, found {t.Describe()}{hint}");
            }
        }

        depth--;
    }

    private string ParseField(HoconObject target, IReadOnlyList<string>? prefix, bool inBraces)
    {
        var keyToken = Peek();
        var (segments, keyText) = ParseKey(inBraces);
        SkipWhitespace();
        var separator = Peek();
        var append = separator.Kind == TokenKind.PlusEquals;
        if (separator.Kind is TokenKind.Equals or TokenKind.Colon or TokenKind.PlusEquals)
        {
            Next();
            SkipBlank();
        }
        else if (separator.Kind != TokenKind.OpenBrace)
        {
            throw Error(separator, $"expected ':', '=' or '{{' after key '{keyText}', found {separator.Describe()}");
        }

        var obj = target;
        for (var i = 0; i < segments.Count - 1; i++)
        {
            obj = ObjectAt(obj, segments[i], keyToken);
        }

        var last = segments[^1];
        List<string>? path = prefix is null ? null : [.. prefix, .. segments];
        obj.TryGetValue(last, out var existing);
        if (!append && Peek() is { Kind: TokenKind.OpenBrace } open)
        {
            Next();
            ParseObjectBody(ObjectAt(obj, last, open), path, open);
            SkipWhitespace();
            if (IsValueStart(Peek().Kind))
            {
                throw Error(Peek(), $"unexpected {Peek().Describe()} after the object value of '{keyText}'");
            }

            return $"the value of '{keyText}'";
        }

        var previous = existing ?? FallbackAt(path);
        var value = ParseValue(path is null ? null : path, $"'{keyText}'");
        var replaced = ReplaceSelfReference(value, path, previous);
        if (append)
        {
            var list = new HoconList(value.Origin, replaced is null ? [] : [replaced]);
            obj.Set(last, previous is null ? list : new HoconConcat(value.Origin, [previous, list]));
        }
        else if (replaced is not null)
        {
            var unresolved = replaced is HoconSubstitution or HoconConcat or HoconMerge;
            obj.Set(last, existing is not null && unresolved ? new HoconMerge(replaced.Origin, replaced, existing) : replaced);
        }

        return $"the value of '{keyText}'";
    }

    private (List<string> Segments, string Text) ParseKey(bool inBraces)
    {
        var first = Peek();
        if (first.Kind is not (TokenKind.Unquoted or TokenKind.QuotedString))
        {
            throw Error(first, inBraces ? $"expected '}}' or a key, found {first.Describe()}" : $"expected a key, found {first.Describe()}");
        }

        var segments = new List<string>();
        var current = new StringBuilder();
        var touched = false;
        var raw = new StringBuilder();
        while (true)
        {
            var t = Peek();
            if (t.Kind == TokenKind.Whitespace && tokens[pos + 1].Kind is TokenKind.Unquoted or TokenKind.QuotedString)
            {
                current.Append(t.Text);
                raw.Append(t.Text);
            }
            else if (t.Kind == TokenKind.QuotedString)
            {
                current.Append(t.Text);
                raw.Append('"').Append(t.Text).Append('"');
                touched = true;
            }
            else if (t.Kind == TokenKind.Unquoted)
            {
                raw.Append(t.Text);
                var pieces = t.Text.Split('.');
                for (var i = 0; i < pieces.Length; i++)
                {
                    if (i > 0)
                    {
                        if (!touched)
                        {
                            throw Error(first, $"invalid key '{raw}': empty key between dots");
                        }

                        segments.Add(current.ToString());
                        current.Clear();
                        touched = false;
                    }

                    current.Append(pieces[i]);
                    touched |= pieces[i].Length > 0;
                }
            }
            else
            {
                break;
            }

            Next();
        }

        if (!touched)
        {
            throw Error(first, $"invalid key '{raw}': empty key between dots");
        }

        segments.Add(current.ToString());
        return (segments, raw.ToString());
    }

    private HoconValue ParseValue(IReadOnlyList<string>? path, string what)
    {
        var parts = new List<HoconValue>();
        while (true)
        {
            var t = Peek();
            var origin = Origin(t);
            switch (t.Kind)
            {
                case TokenKind.Whitespace:
                    Next();
                    if (parts.Count > 0)
                    {
                        parts.Add(HoconScalar.Whitespace(origin, t.Text));
                    }

                    continue;
                case TokenKind.QuotedString:
                    Next();
                    parts.Add(new HoconScalar(origin, HoconValueKind.String, t.Text));
                    continue;
                case TokenKind.Unquoted:
                    Next();
                    parts.Add(Classify(t.Text, origin));
                    continue;
                case TokenKind.Substitution:
                    Next();
                    if (!ConfigPath.TryParse(t.Text, out var subPath, out var pathError))
                    {
                        throw Error(t, $"invalid substitution {t.Describe()}: {pathError}");
                    }

                    parts.Add(new HoconSubstitution(origin, subPath, t.Text, t.Optional));
                    continue;
                case TokenKind.OpenBrace:
                    Next();
                    var obj = new HoconObject(origin);
                    ParseObjectBody(obj, parts.Count == 0 ? path : null, t);
                    parts.Add(obj);
                    continue;
                case TokenKind.OpenBracket:
                    Next();
                    parts.Add(ParseArray(t));
                    continue;
            }

            break;
        }

        while (parts.Count > 0 && parts[^1] is HoconScalar { IsWhitespace: true })
        {
            parts.RemoveAt(parts.Count - 1);
        }

        if (parts.Count == 0)
        {
            throw Error(Peek(), $"expected a value for {what}, found {Peek().Describe()}");
        }

        return parts.Count == 1 ? parts[0] : new HoconConcat(parts[0].Origin, parts);
    }

    private HoconList ParseArray(HoconToken open)
    {
        Enter(open);
        var items = new List<HoconValue>();
        var where = $"the array opened at {open.Line}:{open.Column}";
        while (true)
        {
            SkipBlank();
            var t = Peek();
            if (t.Kind == TokenKind.CloseBracket)
            {
                Next();
                break;
            }

            if (t.Kind == TokenKind.End)
            {
                throw Error(t, $"expected ']' to close {where}, found end of file");
            }

            if (!IsValueStart(t.Kind))
            {
                throw Error(t, $"expected a value or ']' in {where}, found {t.Describe()}");
            }

            items.Add(ParseValue(null, "an array element"));
            SkipWhitespace();
            t = Peek();
            if (t.Kind == TokenKind.Comma)
            {
                Next();
            }
            else if (t.Kind is not (TokenKind.Newline or TokenKind.CloseBracket or TokenKind.End))
            {
                throw Error(t, $"expected ',' or ']' in {where}, found {t.Describe()}");
            }
        }

        depth--;
        return new HoconList(Origin(open), items);
    }
}
