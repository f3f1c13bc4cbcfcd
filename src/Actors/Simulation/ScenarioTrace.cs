using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.Simulation;

/// <summary>
/// The cluster-level trace of a scenario run, one line each: <c>&gt;</c> an injected command, <c>&lt;</c> the daemon's
/// answer to an operator command, <c>=</c> an event of the applied replicated stream (once, the first time any host
/// journals it; an event only in a diverged host's stream is tagged <c>[nX only]</c>), <c>*</c> what a host did outside
/// the stream (its role, takeip/releaseip, VM starts, stops and migrations, fencing), <c>!</c> an invariant violated or a
/// command that could not run, <c>#</c> the end state. No actor paths, no message interleaving: what an operator sees.
/// </summary>
internal sealed partial class ScenarioTrace(ImmutableArray<Member> members, DateTimeOffset start)
{
    private readonly List<string> _lines = [];
    private readonly List<(char Marker, string Text)> _notes = [];
    private readonly StreamObservation _main = new();
    private readonly Dictionary<NodeId, HashSet<(int, string)>> _branches = [];

    public IReadOnlyList<string> Lines => _lines;

    /// <summary>The harness's notes of one step (called before they are cleared); the host effects among them are kept.</summary>
    public void Notes(IEnumerable<string> notes) => _notes.AddRange(notes.Where(IsEffect).Select(n => ('*', n)));

    /// <summary>A daemon's answer to a scripted command, written after the events of the step it came in.</summary>
    public void Reply(string text) => _notes.Add(('<', text));

    public void Add(TimeSpan at, char marker, string text) =>
        _lines.Add(string.Create(CultureInfo.InvariantCulture, $"{at.TotalSeconds,9:0.000}s {marker} {text}"));

    /// <summary>After a step: the new stream events of every host (primaries first), then the step's host effects.</summary>
    public void Collect(TimeSpan at, IEnumerable<(NodeId Node, bool Primary, StreamObservation Stream)> hosts)
    {
        foreach (var (node, _, stream) in hosts.OrderBy(h => h.Primary ? 0 : 1).ThenBy(h => h.Node.Value))
        {
            var common = CommonPrefix(_main, stream);
            if (common == _main.Count)
            {
                for (var i = common; i < stream.Count; i++)
                {
                    _main.Append(stream.Events[i]);
                    Add(at, '=', Render(stream.Events[i]));
                }
                continue;
            }
            var seen = _branches.TryGetValue(node, out var set) ? set : _branches[node] = [];
            for (var i = common; i < stream.Count; i++)
            {
                var text = Render(stream.Events[i]);
                if (seen.Add((i, text))) Add(at, '=', $"[{Name(node)} only] {text}");
            }
        }
        foreach (var (marker, text) in _notes) Add(at, marker, text);
        _notes.Clear();
    }

    private static int CommonPrefix(StreamObservation a, StreamObservation b)
    {
        int lo = 0, hi = Math.Min(a.Count, b.Count);
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (a.PrefixHash(mid) == b.PrefixHash(mid)) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>Message deliveries, network views, snapshot rebases and the address ledger's power records are the harness's, not the cluster's.</summary>
    private static bool IsEffect(string note) =>
        !note.Contains("→[", StringComparison.Ordinal) && !NetworkView().IsMatch(note)
        && !note.StartsWith("explain ", StringComparison.Ordinal) && !note.Contains(" rebases to the snapshot ", StringComparison.Ordinal)
        && !note.StartsWith(nameof(HostPoweredOff), StringComparison.Ordinal) && !note.StartsWith(nameof(HostBooted), StringComparison.Ordinal);

    [GeneratedRegex(@"^n\d+ view \[")]
    private static partial Regex NetworkView();

    public string Name(NodeId node) => members.FirstOrDefault(m => m.Id == node)?.Name ?? "node" + node.Value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>TypeName key=value …</c>: nodes by name, times since the start, nulls, optional flags at their default (a flag added later leaves old traces as they were) and attempt numbers left out, a VM definition by its name.</summary>
    public string Render(IClusterEvent e)
    {
        var type = e.GetType();
        var parts = new List<string> { type.Name };
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
        {
            if (p.GetIndexParameters().Length > 0 || p.Name is "Attempt" or "Holding") continue; // Attempt: an internal correlation number
            var value = p.GetValue(e);
            if (value is null || (value is bool && IsOptionalDefault(type, p.Name, value))) continue;
            parts.Add(char.ToLowerInvariant(p.Name[0]) + p.Name[1..] + "=" + Value(value));
        }
        return string.Join(' ', parts);
    }

    /// <summary>Whether <paramref name="value"/> is the declared default of the record's optional constructor parameter of that name.</summary>
    private static bool IsOptionalDefault(Type type, string property, object value) =>
        type.GetConstructors().SelectMany(c => c.GetParameters())
            .Any(p => p.HasDefaultValue && string.Equals(p.Name, property, StringComparison.OrdinalIgnoreCase) && Equals(p.DefaultValue, value));

    private string Value(object value) => value switch
    {
        NodeId n => Name(n),
        string s => s.Length == 0 || s.Any(c => char.IsWhiteSpace(c) || c is '"' or '=') ? System.Text.Json.JsonSerializer.Serialize(s) : s,
        bool b => b ? "true" : "false",
        Enum x => x.ToString().ToLowerInvariant(),
        DateTimeOffset t => ScenarioReader.Seconds(t - start),
        TimeSpan t => ScenarioReader.Seconds(t),
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable list => "[" + string.Join(",", Items(list)) + "]",
        _ => value.GetType().GetProperty("Name")?.GetValue(value) is string name ? name : value.ToString() ?? "",
    };

    private IEnumerable<string> Items(IEnumerable list)
    {
        if (list.GetType().GetProperty("IsDefault")?.GetValue(list) is true) yield break;
        foreach (var item in list) yield return item is null ? "null" : Value(item);
    }
}
