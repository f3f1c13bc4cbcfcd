using System.Text.Json;
using System.Text.Json.Serialization;

namespace Haven.Actors.Persistence;

/// <summary>
/// Turns events and snapshot states into (manifest, UTF-8 JSON) and back, using only the manifests of an
/// <see cref="EventManifestRegistry"/>: no CLR type name ever reaches the store. camelCase properties,
/// enums as camelCase strings, reflection-based (no source generator needed per event type).
/// </summary>
public sealed class JsonEventSerializer
{
    private readonly EventManifestRegistry _registry;
    private readonly JsonSerializerOptions _options;

    public JsonEventSerializer(EventManifestRegistry registry, JsonSerializerOptions? options = null)
    {
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _options = options ?? SharedDefaultOptions;
    }

    /// <summary>
    /// One read-only default options instance for every serializer built without options: System.Text.Json caches its
    /// per-type metadata (reflection, emitted accessors) in the options, so a fresh instance per serializer rebuilds it
    /// for every type it meets — in the simulation, for every host of every seed.
    /// </summary>
    private static readonly JsonSerializerOptions SharedDefaultOptions = CreateDefaultOptions();

    /// <summary>The options used when none are given: camelCase names, camelCase enum strings.</summary>
    public static JsonSerializerOptions CreateDefaultOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = false,
            WriteIndented = false,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Serializes a registered event or state; throws when its type has no manifest.</summary>
    public (string Manifest, byte[] Payload) Serialize(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var type = value.GetType();
        if (!_registry.TryGetManifest(type, out var manifest))
            throw new InvalidOperationException(
                $"type '{type.FullName}' has no manifest: register it with EventManifestRegistry.Register<{type.Name}>(\"area.name.v1\") before persisting it");
        return (manifest, JsonSerializer.SerializeToUtf8Bytes(value, type, _options));
    }

    /// <summary>Deserializes a journal entry; a failure names the persistence id and sequence number.</summary>
    public object Deserialize(JournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Deserialize(entry.PersistenceId, entry.SequenceNr, entry.Manifest, entry.Payload, "event");
    }

    /// <summary>Deserializes a snapshot; a failure names the persistence id and sequence number.</summary>
    public object Deserialize(SnapshotEntry snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Deserialize(snapshot.Metadata.PersistenceId, snapshot.Metadata.SequenceNr, snapshot.Manifest,
            snapshot.Payload, "snapshot");
    }

    private object Deserialize(string persistenceId, long sequenceNr, string manifest, byte[]? payload, string kind)
    {
        if (!_registry.TryGetType(manifest, out var type))
            throw new RecoveryFailedException(persistenceId, sequenceNr,
                $"unknown {kind} manifest '{manifest}' (no type is registered under it)");
        if (payload is null)
            throw new RecoveryFailedException(persistenceId, sequenceNr,
                $"corrupt {kind} payload for manifest '{manifest}': payload is missing");
        object? value;
        try
        {
            value = JsonSerializer.Deserialize(payload, type, _options);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new RecoveryFailedException(persistenceId, sequenceNr,
                $"corrupt {kind} payload for manifest '{manifest}' ({payload.Length} bytes): {ex.Message}", ex);
        }
        return value ?? throw new RecoveryFailedException(persistenceId, sequenceNr,
            $"corrupt {kind} payload for manifest '{manifest}': JSON null is not a {type.Name}");
    }
}
