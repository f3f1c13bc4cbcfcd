using Haven.Actors.Configuration;

namespace Haven.Adapters.Persistence;

/// <summary>
/// One host's part of a journal database that several hosts share: its persistence ids are stored as
/// <c>NODE/id</c> ("cluster" ↔ "n1/cluster"). Node names cannot contain '/', so the first '/' ends the
/// node and an id of any shape (even one with '/') maps back unchanged. Ids without any '/' were written
/// before scoping (see <see cref="UnscopedAdoption"/>).
/// </summary>
public sealed class NodeScope
{
    public const char Separator = '/';

    public NodeScope(string node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!ClusterConfig.IsValidNodeName(node))
            throw new ArgumentException(
                $"node name \"{node}\" cannot scope a shared journal: use one or more letters, digits, '.', '_' or '-'", nameof(node));
        Node = node;
        Prefix = node + Separator;
    }

    public string Node { get; }

    /// <summary>"NODE/": every stored id of this host starts with it.</summary>
    public string Prefix { get; }

    /// <summary>The id as stored in the shared database.</summary>
    public string ToStored(string persistenceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        return Prefix + persistenceId;
    }

    /// <summary>Whether a stored id belongs to this host.</summary>
    public bool Owns(string storedId) =>
        storedId.Length > Prefix.Length && storedId.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The host's own id for a stored one; a stored id of another host is a bug and throws.</summary>
    public string FromStored(string storedId) => Owns(storedId)
        ? storedId[Prefix.Length..]
        : throw new InvalidOperationException($"journal id \"{storedId}\" does not belong to node {Node} (expected the prefix \"{Prefix}\")");

    /// <summary>Whether a stored id was written before ids were scoped (it has no node part).</summary>
    public static bool IsUnscoped(string storedId) => !storedId.Contains(Separator, StringComparison.Ordinal);

    public override string ToString() => Node;
}

public enum AdoptionOutcome
{
    /// <summary>The database holds no records written before scoping.</summary>
    NothingUnscoped,

    /// <summary>The unscoped records were this host's; they now carry its node prefix.</summary>
    Adopted,

    /// <summary>Unscoped records exist but are not provably this host's; they stay as they are.</summary>
    LeftAlone,
}

/// <summary>
/// What to do with records a shared database holds from before ids were scoped by node. Before scoping
/// only one host could use a database (a second one's "cluster" sequence numbers collided), and every
/// daemon journals its runs under <c>daemon-NODE</c>; so the unscoped records are adopted by the host
/// whose daemon record they contain, when they contain no other host's and that host has no scoped
/// records yet. In every other case they are left alone and the reason says why.
/// </summary>
public sealed record UnscopedAdoption(AdoptionOutcome Outcome, IReadOnlyList<string> Ids, string Reason)
{
    /// <param name="scope">the host that opens the database</param>
    /// <param name="unscopedIds">the distinct ids stored without a node part</param>
    /// <param name="scopeHasRecords">whether the host already has scoped records</param>
    /// <param name="writerRecordPrefix">the prefix of the per-host record that names the writer ("daemon-")</param>
    public static UnscopedAdoption Decide(NodeScope scope, IReadOnlyCollection<string> unscopedIds, bool scopeHasRecords,
        string writerRecordPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(writerRecordPrefix);
        var ids = unscopedIds.Order(StringComparer.Ordinal).ToArray();
        if (ids.Length == 0)
            return new(AdoptionOutcome.NothingUnscoped, [], "no records from before node scoping");
        var writers = ids.Where(id => id.StartsWith(writerRecordPrefix, StringComparison.Ordinal) && id.Length > writerRecordPrefix.Length)
            .Select(id => id[writerRecordPrefix.Length..]).ToArray();
        var others = writers.Where(w => w != scope.Node).ToArray();
        if (others.Length > 0)
            return new(AdoptionOutcome.LeftAlone, ids,
                $"{ids.Length} record stream(s) from before node scoping were written by {string.Join(", ", others)}" +
                (writers.Length > others.Length ? $" as well as {scope.Node}" : "") + ", so none is adopted");
        if (writers.Length == 0)
            return new(AdoptionOutcome.LeftAlone, ids,
                $"{ids.Length} record stream(s) from before node scoping hold no {writerRecordPrefix}NODE record naming their host, so none is adopted");
        if (scopeHasRecords)
            return new(AdoptionOutcome.LeftAlone, ids,
                $"{ids.Length} record stream(s) from before node scoping were written by {scope.Node}, which already has records of its own; they are not merged");
        return new(AdoptionOutcome.Adopted, ids, $"{ids.Length} record stream(s) written by {scope.Node} before node scoping now carry the prefix \"{scope.Prefix}\"");
    }
}
