using System.Globalization;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>
/// An OBJECT IDENTIFIER: at least two arcs, the first 0, 1 or 2 (the second below 40 unless the first
/// is 2), every arc a 32-bit unsigned number, at most <see cref="MaxArcs"/> arcs (RFC 3416's limit).
/// Written and parsed in dotted form with or without the leading dot (<c>.1.3.6.1.2.1.1.1.0</c>).
/// </summary>
public sealed class Oid : IEquatable<Oid>, IComparable<Oid>
{
    public const int MaxArcs = 128;

    private readonly uint[] arcs;

    public Oid(IEnumerable<uint> arcs)
    {
        ArgumentNullException.ThrowIfNull(arcs);
        this.arcs = arcs.ToArray();
        if (Check(this.arcs) is { } error)
        {
            throw new ArgumentException(error, nameof(arcs));
        }
    }

    private Oid(uint[] arcs, bool _) => this.arcs = arcs;

    public IReadOnlyList<uint> Arcs => arcs;

    public int Length => arcs.Length;

    public uint this[int index] => arcs[index];

    /// <summary>Parses dotted form; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static Oid Parse(string text) =>
        TryParse(text, out var oid, out var error) ? oid : throw new FormatException(error);

    public static bool TryParse(string text, out Oid oid, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        oid = null!;
        var body = text.StartsWith('.') ? text[1..] : text;
        var parts = body.Split('.');
        var values = new uint[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0 || !parts[i].All(char.IsAsciiDigit)
                || !uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
            {
                error = $"invalid OID \"{text}\": arc {i + 1} (\"{parts[i]}\") is not a number from 0 to {uint.MaxValue}";
                return false;
            }
        }

        if (Check(values) is { } problem)
        {
            error = $"invalid OID \"{text}\": {problem}";
            return false;
        }

        oid = new Oid(values, true);
        error = "";
        return true;
    }

    /// <summary>Null when <paramref name="values"/> are a valid OID, else what is wrong.</summary>
    internal static string? Check(uint[] values) =>
        values.Length < 2 ? "an OID has at least two arcs"
        : values.Length > MaxArcs ? $"an OID has at most {MaxArcs} arcs, found {values.Length}"
        : values[0] > 2 ? $"the first arc must be 0, 1 or 2, found {values[0]}"
        : values[0] < 2 && values[1] >= 40 ? $"the second arc must be below 40 when the first is {values[0]}, found {values[1]}"
        : null;

    internal static Oid FromValidated(uint[] values) => new(values, true);

    /// <summary>This OID followed by <paramref name="more"/> arcs (a table column plus an index).</summary>
    public Oid Append(params uint[] more) => new([.. arcs, .. more]);

    /// <summary>Whether <paramref name="prefix"/> is a proper or equal prefix of this OID.</summary>
    public bool StartsWith(Oid prefix) =>
        prefix.arcs.Length <= arcs.Length && arcs.AsSpan(0, prefix.arcs.Length).SequenceEqual(prefix.arcs);

    public int CompareTo(Oid? other)
    {
        if (other is null)
        {
            return 1;
        }

        var common = Math.Min(arcs.Length, other.arcs.Length);
        for (var i = 0; i < common; i++)
        {
            var c = arcs[i].CompareTo(other.arcs[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return arcs.Length.CompareTo(other.arcs.Length);
    }

    public bool Equals(Oid? other) => other is not null && arcs.AsSpan().SequenceEqual(other.arcs);

    public override bool Equals(object? obj) => Equals(obj as Oid);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var arc in arcs)
        {
            hash.Add(arc);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => "." + string.Join('.', arcs);

    public static bool operator ==(Oid? left, Oid? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Oid? left, Oid? right) => !(left == right);
}
