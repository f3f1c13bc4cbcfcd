using System.Data.Common;
using System.Text.Json;
using Haven.Actors.Persistence;

namespace Haven.Adapters.Persistence;

/// <summary>
/// Column layout and row decoding shared by the SQLite and PostgreSQL stores. Timestamps are stored as
/// UTC ticks (bigint), tags as a JSON array of strings (NULL when there are none).
/// </summary>
internal static class SqlRows
{
    public const string JournalColumns = "ordering, persistence_id, sequence_nr, manifest, payload, timestamp, tags";
    public const string SnapshotColumns = "persistence_id, sequence_nr, manifest, payload, timestamp";

    /// <summary>Decodes a row; a range read passes the id it asked for so that no string is allocated per row.</summary>
    public static JournalEntry ReadJournalEntry(DbDataReader r, string? knownPersistenceId = null) => new(
        PersistenceId: knownPersistenceId ?? r.GetString(1),
        SequenceNr: r.GetInt64(2),
        Manifest: r.GetString(3),
        Payload: r.GetFieldValue<byte[]>(4),
        Timestamp: FromTicks(r.GetInt64(5)),
        Tags: r.IsDBNull(6) ? [] : DecodeTags(r.GetString(6)),
        Ordering: r.GetInt64(0));

    public static SnapshotEntry ReadSnapshot(DbDataReader r) => new(
        new SnapshotMetadata(r.GetString(0), r.GetInt64(1), FromTicks(r.GetInt64(4))),
        r.GetString(2),
        r.GetFieldValue<byte[]>(3));

    public static long ToTicks(DateTimeOffset timestamp) => timestamp.UtcTicks;

    public static DateTimeOffset FromTicks(long ticks) => new(ticks, TimeSpan.Zero);

    /// <summary>NULL for no tags, otherwise a JSON array (any character may appear in a tag).</summary>
    public static string? EncodeTags(IReadOnlyList<string> tags) =>
        tags.Count == 0 ? null : JsonSerializer.Serialize(tags, SqlJson.Default.IReadOnlyListString);

    public static IReadOnlyList<string> DecodeTags(string json) =>
        JsonSerializer.Deserialize(json, SqlJson.Default.StringArray) ?? [];
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class SqlJson : System.Text.Json.Serialization.JsonSerializerContext;
