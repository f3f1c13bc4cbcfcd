namespace Haven.Actors.Runtime;

/// <summary>
/// Where an actor lives: <c>haven://{system}/user/cluster/host-n1</c>. Two paths are equal when their
/// full text is equal (ordinal). Immutable; children are built with <see cref="Child"/>.
/// </summary>
public sealed class ActorPath : IEquatable<ActorPath>
{
    public const string Scheme = "haven";
    private readonly string _text;

    private ActorPath(string system, ActorPath? parent, string name)
    {
        SystemName = system;
        Parent = parent;
        Name = name;
        _text = parent is null ? $"{Scheme}://{system}/" :
            parent.Parent is null ? parent._text + name : parent._text + "/" + name;
    }

    /// <summary>The root path of a system: <c>haven://{system}/</c>.</summary>
    public static ActorPath Root(string systemName) => new(systemName, null, "");

    public string SystemName { get; }
    public string Name { get; }
    public ActorPath? Parent { get; }

    /// <summary>Path elements below the root, e.g. ["user", "cluster", "host-n1"].</summary>
    public IReadOnlyList<string> Elements
    {
        get
        {
            var list = new List<string>();
            for (var p = this; p.Parent is not null; p = p.Parent) list.Add(p.Name);
            list.Reverse();
            return list;
        }
    }

    public ActorPath Child(string name)
    {
        ActorNames.Validate(name, allowReserved: true);
        return new ActorPath(SystemName, this, name);
    }

    public bool Equals(ActorPath? other) => other is not null && string.Equals(_text, other._text, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is ActorPath p && Equals(p);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_text);
    public override string ToString() => _text;
    public static bool operator ==(ActorPath? a, ActorPath? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(ActorPath? a, ActorPath? b) => !(a == b);
}

internal static class ActorNames
{
    /// <summary>Throws <see cref="InvalidActorNameException"/> naming the bad name and the rule it breaks.</summary>
    public static void Validate(string? name, bool allowReserved)
    {
        if (string.IsNullOrEmpty(name))
            throw new InvalidActorNameException("actor name must not be null or empty");
        if (!allowReserved && name[0] == '$')
            throw new InvalidActorNameException($"actor name '{name}' must not start with '$' (reserved for generated names)");
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '$' or '+' or ':' or '@' or '='))
                throw new InvalidActorNameException($"actor name '{name}' contains the invalid character '{c}'");
        }
    }

    /// <summary>Generated child names: $a … $z, $ba, … (base 26, deterministic).</summary>
    public static string Generated(long n)
    {
        Span<char> buf = stackalloc char[16];
        var i = buf.Length;
        do { buf[--i] = (char)('a' + (int)(n % 26)); n /= 26; } while (n > 0);
        buf[--i] = '$';
        return new string(buf[i..]);
    }
}
