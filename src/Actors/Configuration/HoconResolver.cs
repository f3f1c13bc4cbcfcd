using System.Text;

namespace Haven.Actors.Configuration;

/// <summary>
/// Replaces every substitution, concatenation and pending merge of a parsed tree with its value.
/// Substitutions look up paths from the root (then the environment); each node resolves once;
/// a node met again while it is being resolved is a cycle.
/// </summary>
internal sealed class HoconResolver
{
    private const int MaxDepth = 400;
    private readonly HoconObject root;
    private readonly Func<string, string?>? environment;
    private readonly Dictionary<HoconValue, HoconValue?> resolved = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<HoconValue> active = new(ReferenceEqualityComparer.Instance);
    private readonly List<HoconSubstitution> chain = [];
    private int depth;

    public HoconResolver(HoconObject root, Func<string, string?>? environment)
    {
        this.root = root;
        this.environment = environment;
    }

    public HoconObject ResolveRoot() => (HoconObject)Resolve(root)!;

    /// <summary>The resolved value, or null when it is undefined (an optional substitution with no value).</summary>
    private HoconValue? Resolve(HoconValue node)
    {
        if (node is HoconScalar)
        {
            return node;
        }

        if (resolved.TryGetValue(node, out var done))
        {
            return done;
        }

        if (!active.Add(node))
        {
            var at = chain.Count > 0 ? chain[^1].Origin : node.Origin;
            throw new HoconException(at, $"substitution cycle: {string.Join(" -> ", chain.Select(s => s.Describe()))}");
        }

        if (++depth > MaxDepth)
        {
            throw new HoconException(node.Origin, $"substitutions and objects nested deeper than {MaxDepth} levels");
        }

        var result = node switch
        {
            HoconObject obj => ResolveObject(obj),
            HoconList list => new HoconList(list.Origin, list.Items.Select(Resolve).OfType<HoconValue>().ToList()),
            HoconSubstitution sub => ResolveSubstitution(sub),
            HoconConcat concat => ResolveConcat(concat),
            HoconMerge merge => ResolveMerge(merge),
            _ => throw new InvalidOperationException($"unknown node {node.GetType().Name}"),
        };
        depth--;
        active.Remove(node);
        resolved[node] = result;
        return result;
    }

    private HoconObject ResolveObject(HoconObject obj)
    {
        var result = new HoconObject(obj.Origin);
        foreach (var key in obj.Keys)
        {
            if (Resolve(obj[key]) is { } value)
            {
                result.Set(key, value);
            }
        }

        return result;
    }

    private HoconValue? ResolveSubstitution(HoconSubstitution sub)
    {
        chain.Add(sub);
        var value = Lookup(sub.Path);
        chain.RemoveAt(chain.Count - 1);
        if (value is not null)
        {
            return value;
        }

        if (environment?.Invoke(sub.PathText) is { } env)
        {
            return new HoconScalar(sub.Origin, HoconValueKind.String, env);
        }

        return sub.Optional
            ? null
            : throw new HoconException(sub.Origin, $"cannot resolve substitution {sub.Describe()}: no setting at that path and no environment variable {sub.PathText}");
    }

    private HoconValue? Lookup(IReadOnlyList<string> path)
    {
        HoconValue current = root;
        foreach (var key in path)
        {
            if (current is not HoconObject)
            {
                current = Resolve(current)!;
            }

            if (current is not HoconObject obj || !obj.TryGetValue(key, out var child))
            {
                return null;
            }

            current = child;
        }

        return Resolve(current);
    }

    private HoconValue? ResolveConcat(HoconConcat concat)
    {
        var parts = concat.Parts.Select(Resolve).OfType<HoconValue>().ToList();
        var solid = parts.Where(p => p is not HoconScalar { IsWhitespace: true }).ToList();
        if (solid.Count == 0)
        {
            return null;
        }

        if (solid.Count == 1)
        {
            return solid[0];
        }

        if (solid.All(p => p is HoconObject))
        {
            return solid.Cast<HoconObject>().Aggregate((under, over) => HoconObject.Merge(over, under));
        }

        if (solid.All(p => p is HoconList))
        {
            return new HoconList(concat.Origin, solid.SelectMany(p => ((HoconList)p).Items).ToList());
        }

        if (solid.FirstOrDefault(p => p is HoconObject or HoconList) is { } odd)
        {
            var other = solid.First(p => p.Kind != odd.Kind);
            throw new HoconException(odd.Origin, $"cannot concatenate {Article(odd)} with {Article(other)} (written at {other.Origin})");
        }

        var first = parts.FindIndex(p => p is not HoconScalar { IsWhitespace: true });
        var last = parts.FindLastIndex(p => p is not HoconScalar { IsWhitespace: true });
        var text = new StringBuilder();
        for (var i = first; i <= last; i++)
        {
            text.Append(((HoconScalar)parts[i]).Text);
        }

        return new HoconScalar(concat.Origin, HoconValueKind.String, text.ToString());
    }

    private HoconValue? ResolveMerge(HoconMerge merge)
    {
        var top = Resolve(merge.Top);
        if (top is null)
        {
            return Resolve(merge.Bottom);
        }

        if (top is not HoconObject topObject)
        {
            return top;
        }

        return Resolve(merge.Bottom) is HoconObject bottomObject ? HoconObject.Merge(topObject, bottomObject) : top;
    }

    private static string Article(HoconValue value) => value.Kind switch
    {
        HoconValueKind.Object => "an object",
        HoconValueKind.List => "a list",
        _ => $"a {value.Describe()}",
    };
}
