using System.Collections.Immutable;

namespace Haven.Actors.Fencing;

/// <summary>
/// Per host, the fencing levels tried in order; each level is the devices that must all succeed.
/// The host <c>"*"</c>, when present, applies to every host not listed by name.
/// </summary>
public sealed record FencingTopology(ImmutableDictionary<string, ImmutableArray<ImmutableArray<string>>> Hosts)
{
    public const string AnyHost = "*";

    public static FencingTopology Empty { get; } = new(ImmutableDictionary<string, ImmutableArray<ImmutableArray<string>>>.Empty);

    /// <summary>The levels for <paramref name="host"/>: its own, else the <c>"*"</c> entry, else none.</summary>
    public ImmutableArray<ImmutableArray<string>> LevelsFor(string host) =>
        Hosts.TryGetValue(host, out var levels) ? levels
        : Hosts.TryGetValue(AnyHost, out var any) ? any
        : [];

    /// <summary>Every device name the topology uses.</summary>
    public IEnumerable<string> Devices => Hosts.Values.SelectMany(l => l).SelectMany(d => d).Distinct(StringComparer.Ordinal);

    public bool Equals(FencingTopology? other) =>
        other is not null && Hosts.Count == other.Hosts.Count
        && Hosts.All(h => other.Hosts.TryGetValue(h.Key, out var levels)
            && levels.Length == h.Value.Length
            && levels.Zip(h.Value).All(p => p.First.SequenceEqual(p.Second)));

    public override int GetHashCode() => Hosts.Count;
}
