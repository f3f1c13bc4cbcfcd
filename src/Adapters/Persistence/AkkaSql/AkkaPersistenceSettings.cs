using Haven.Actors.Configuration;

namespace Haven.Adapters.Persistence.AkkaSql;

/// <summary>The database engine under Akka.Persistence.Sql.</summary>
public enum AkkaSqlEngine
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// What the daemon's Akka.Persistence.Sql journal and snapshot store take from haven.journal (issue 18). Operators
/// never write Akka HOCON: <see cref="AkkaPersistenceConfig"/> renders this record.
/// <para>Node scoping: a SQLite file belongs to one host (its lock file beside it, as today), so its tables are
/// <c>akka_journal</c>, <c>akka_tags</c>, <c>akka_snapshot</c> next to Haven's own <c>journal</c>/<c>snapshot</c>.
/// A shared PostgreSQL database gets one set of tables per node, <c>akka_NODE_journal</c> …, so one node's
/// persistence ids, events and snapshots are never in another's tables, and its actors use their plain ids
/// ("cluster"). The one-daemon-per-node lock (<see cref="Postgres.PostgresNodeLock"/>, the SQLite lock file)
/// stays outside the plugin and is taken before the ActorSystem starts.</para>
/// </summary>
public sealed record AkkaPersistenceSettings
{
    /// <summary>PostgreSQL's limit on identifier length (bytes; node names are ASCII).</summary>
    public const int MaxIdentifierLength = 63;

    private const string LongestTableSuffix = "_journal_metadata";

    public required AkkaSqlEngine Engine { get; init; }

    /// <summary>The database: a file path for SQLite, an Npgsql connection string for PostgreSQL.</summary>
    public required string Database { get; init; }

    /// <summary>The node whose tables these are (names the PostgreSQL tables; checked like a node name).</summary>
    public required string Node { get; init; }

    /// <summary>Journal writes batched into one transaction (the plugin's <c>batch-size</c>).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Rows sent to the database in one round trip (<c>db-round-trip-max-batch-size</c>).</summary>
    public int RoundTripMaxBatchSize { get; init; } = 1000;

    /// <summary>Concurrent write transactions (<c>parallelism</c>).</summary>
    public int Parallelism { get; init; } = 3;

    /// <summary>Events read per query during recovery (<c>replay-batch-size</c>).</summary>
    public int ReplayBatchSize { get; init; } = 1000;

    /// <summary>Writes queued before the journal rejects (<c>buffer-size</c>).</summary>
    public int BufferSize { get; init; } = 5000;

    /// <summary>
    /// The settings for this host's haven.journal. Memory has no SQL plugin (the simulation and tests use
    /// <c>SimJournal</c>), so it is refused with a clear message.
    /// </summary>
    public static AkkaPersistenceSettings From(JournalSettings journal, string node)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return journal.Provider switch
        {
            JournalProviderKind.Sqlite => new() { Engine = AkkaSqlEngine.Sqlite, Database = Path.GetFullPath(journal.SqlitePath), Node = node },
            JournalProviderKind.PostgreSql => new() { Engine = AkkaSqlEngine.PostgreSql, Database = journal.PostgreSqlConnectionString, Node = node },
            _ => throw new ArgumentException(
                $"haven.journal.provider = {journal.Provider.ToString().ToLowerInvariant()} has no Akka.Persistence.Sql plugin: use sqlite or postgresql", nameof(journal)),
        };
    }

    /// <summary>The prefix of this node's table names: "akka_" for SQLite, "akka_NODE_" for PostgreSQL.</summary>
    public string TablePrefix => Engine == AkkaSqlEngine.Sqlite ? "akka_" : $"akka_{TableName(Node)}_";

    /// <summary>
    /// The node as a plain lower-case SQL name, one to one: a-z and 0-9 stay, any other character becomes "_" and its two
    /// hex digits ("web-2.B" → "web_2d2_2e_42"). linq2db's table creation does not quote names, so '-', '.' and
    /// upper case never reach it.
    /// </summary>
    public static string TableName(string node) => string.Concat(node.Select(c =>
        c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c.ToString() : "_" + ((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    public string JournalTable => TablePrefix + "journal";
    public string MetadataTable => TablePrefix + "journal_metadata";
    public string TagTable => TablePrefix + "tags";
    public string SnapshotTable => TablePrefix + "snapshot";

    /// <summary>Throws a clear error naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Database))
            throw new ArgumentException(Engine == AkkaSqlEngine.Sqlite
                ? "haven.journal.sqlite.path is empty: name the SQLite journal file"
                : "haven.journal.postgresql.connection-string is empty: give the Npgsql connection string of the journal database");
        if (!ClusterConfig.IsValidNodeName(Node))
            throw new ArgumentException($"node name \"{Node}\" cannot name journal tables: use one or more letters, digits, '.', '_' or '-'");
        if (Engine == AkkaSqlEngine.PostgreSql && (TablePrefix + LongestTableSuffix).Length > MaxIdentifierLength)
            throw new ArgumentException(
                $"node name \"{Node}\" is too long for its PostgreSQL journal tables (\"{TablePrefix}{LongestTableSuffix[1..]}\" is over " +
                $"{MaxIdentifierLength} characters): use at most {MaxIdentifierLength - "akka__journal_metadata".Length} characters " +
                "(each character other than a-z and 0-9 counts three)");
        Positive(BatchSize, "batch-size");
        Positive(RoundTripMaxBatchSize, "db-round-trip-max-batch-size");
        Positive(Parallelism, "parallelism");
        Positive(ReplayBatchSize, "replay-batch-size");
        Positive(BufferSize, "buffer-size");
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"Akka.Persistence.Sql {name} must be at least 1");
    }
}
