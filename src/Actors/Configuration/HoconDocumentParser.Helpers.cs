using System.Text.RegularExpressions;

namespace Haven.Actors.Configuration;

/// <summary>Includes, self-references and token helpers of <see cref="HoconDocumentParser"/>.</summary>
internal sealed partial class HoconDocumentParser
{
    private static readonly string[] IncludeWrappers = ["required(", "file(", "url(", "classpath("];

    private bool IsInclude()
    {
        var t = Peek();
        if (t.Kind != TokenKind.Unquoted || t.Text != "include")
        {
            return false;
        }

        var j = pos + 1;
        while (tokens[j].Kind == TokenKind.Whitespace)
        {
            j++;
        }

        var next = tokens[j];
        return next.Kind == TokenKind.QuotedString
            || (next.Kind == TokenKind.Unquoted && IncludeWrappers.Any(w => next.Text.StartsWith(w, StringComparison.Ordinal)));
    }

    /// <summary><c>include "x"</c>, <c>include file("x")</c>, <c>include required("x")</c>, <c>include required(file("x"))</c>.</summary>
    private string ParseInclude(HoconObject target, IReadOnlyList<string>? prefix)
    {
        Next();
        SkipWhitespace();
        var required = false;
        var parens = 0;
        var t = Peek();
        while (t.Kind == TokenKind.Unquoted)
        {
            var rest = t.Text;
            while (rest.Length > 0)
            {
                var wrapper = IncludeWrappers.FirstOrDefault(w => rest.StartsWith(w, StringComparison.Ordinal))
                    ?? throw Error(t, $"expected a quoted file name after include, found '{t.Text}'");
                if (wrapper is "url(" or "classpath(")
                {
                    throw Error(t, $"include {wrapper}...) is not supported; use include \"file\" or include file(\"file\")");
                }

                required |= wrapper == "required(";
                parens++;
                rest = rest[wrapper.Length..];
            }

            Next();
            SkipWhitespace();
            t = Peek();
        }

        if (t.Kind != TokenKind.QuotedString)
        {
            throw Error(t, $"expected a quoted file name after include, found {t.Describe()}");
        }

        var name = Next();
        var closed = 0;
        while (closed < parens)
        {
            SkipWhitespace();
            t = Peek();
            if (t.Kind != TokenKind.Unquoted || t.Text.Any(c => c != ')') || closed + t.Text.Length > parens)
            {
                throw Error(t, $"expected ')' to close the include of \"{name.Text}\", found {t.Describe()}");
            }

            closed += t.Text.Length;
            Next();
        }

        Include(target, prefix, name, required);
        return $"the include of \"{name.Text}\"";
    }

    private void Include(HoconObject target, IReadOnlyList<string>? prefix, HoconToken name, bool required)
    {
        if (context.Includes is null)
        {
            throw Error(name, $"cannot include \"{name.Text}\": includes are not available when parsing this text");
        }

        if (context.IncludeStack.Count > MaxIncludeDepth)
        {
            throw Error(name, $"cannot include \"{name.Text}\": includes nested deeper than {MaxIncludeDepth} files");
        }

        string? text;
        string resolved;
        try
        {
            text = context.Includes.Resolve(name.Text, source, out resolved);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ConfigException)
        {
            // a file the resolver refuses (a device, too big, untrusted) is named where the include is written
            throw Error(name, $"cannot read include \"{name.Text}\": {ex.Message}");
        }

        if (text is null)
        {
            if (required)
            {
                throw Error(name, $"required include \"{name.Text}\" not found (looked for {resolved})");
            }

            return;
        }

        if (context.IncludeStack.Contains(resolved, StringComparer.Ordinal))
        {
            throw Error(name, $"include cycle: {string.Join(" -> ", context.IncludeStack)} -> {resolved}");
        }

        context.IncludeStack.Add(resolved);
        new HoconDocumentParser(HoconLexer.Tokenize(text, resolved), resolved, context, depth).ParseRoot(target, prefix ?? []);
        context.IncludeStack.RemoveAt(context.IncludeStack.Count - 1);
    }

    /// <summary>
    /// <c>path = ${path} [x]</c>: a substitution of the setting being defined means its earlier value
    /// (from this text, or from the fallback).
    /// </summary>
    private HoconValue? ReplaceSelfReference(HoconValue value, IReadOnlyList<string>? path, HoconValue? previous)
    {
        if (path is null)
        {
            return value;
        }

        switch (value)
        {
            case HoconSubstitution s when s.Path.SequenceEqual(path, StringComparer.Ordinal):
                if (previous is not null || s.Optional)
                {
                    return previous;
                }

                throw new HoconException(s.Origin, $"substitution {s.Describe()} refers to the setting being defined, which has no earlier value");
            case HoconConcat c:
                var parts = c.Parts.Select(p => ReplaceSelfReference(p, path, previous)).OfType<HoconValue>().ToList();
                return parts.Any(p => p is not HoconScalar { IsWhitespace: true }) ? new HoconConcat(c.Origin, parts) : null;
            default:
                return value;
        }
    }

    private HoconValue? FallbackAt(IReadOnlyList<string>? path)
    {
        HoconValue? current = context.Fallback;
        if (path is null)
        {
            return null;
        }

        foreach (var key in path)
        {
            if (current is not HoconObject obj || !obj.TryGetValue(key, out current))
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>The object at key, creating it, or layering a new one over an earlier unresolved value.</summary>
    private HoconObject ObjectAt(HoconObject obj, string key, HoconToken at)
    {
        obj.TryGetValue(key, out var existing);
        if (existing is HoconObject found)
        {
            return found;
        }

        var fresh = new HoconObject(Origin(at));
        obj.Set(key, existing is HoconSubstitution or HoconConcat or HoconMerge ? new HoconMerge(fresh.Origin, fresh, existing) : fresh);
        return fresh;
    }

    private static HoconScalar Classify(string text, ConfigOrigin origin) => text switch
    {
        "true" or "false" => new HoconScalar(origin, HoconValueKind.Boolean, text),
        "null" => new HoconScalar(origin, HoconValueKind.Null, text),
        _ when NumberPattern().IsMatch(text) => new HoconScalar(origin, HoconValueKind.Number, text),
        _ => new HoconScalar(origin, HoconValueKind.String, text),
    };

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE]-?[0-9]+)?$")]
    private static partial Regex NumberPattern();

    private static bool IsValueStart(TokenKind kind) =>
        kind is TokenKind.QuotedString or TokenKind.Unquoted or TokenKind.Substitution or TokenKind.OpenBrace or TokenKind.OpenBracket;

    private void Enter(HoconToken at)
    {
        if (++depth > MaxDepth)
        {
            throw Error(at, $"objects and arrays nested deeper than {MaxDepth} levels");
        }
    }

    private HoconToken Peek() => tokens[pos];

    private HoconToken Next() => tokens[pos < tokens.Count - 1 ? pos++ : pos];

    private void SkipWhitespace()
    {
        while (Peek().Kind == TokenKind.Whitespace)
        {
            Next();
        }
    }

    private void SkipBlank()
    {
        while (Peek().Kind is TokenKind.Whitespace or TokenKind.Newline)
        {
            Next();
        }
    }

    private ConfigOrigin Origin(HoconToken t) => new(source, t.Line, t.Column);

    private HoconException Error(HoconToken t, string reason) => new(source, t.Line, t.Column, reason);
}
