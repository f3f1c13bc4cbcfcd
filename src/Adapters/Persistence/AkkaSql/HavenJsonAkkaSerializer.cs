using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using SerializationException = System.Runtime.Serialization.SerializationException;
using Haven.Actors.Persistence;

namespace Haven.Adapters.Persistence.AkkaSql;

/// <summary>
/// Haven's events and snapshot states in Akka: the same (manifest, camelCase UTF-8 JSON) as
/// <see cref="JsonEventSerializer"/> writes to Haven's own journal, so rows migrated from it replay byte for byte,
/// and no CLR type name reaches the store. Bound to every type of an <see cref="EventManifestRegistry"/> by
/// <see cref="AkkaPersistenceConfig.Setup"/>. The identifier is stored in every row: never change it.
/// </summary>
public sealed class HavenJsonAkkaSerializer : SerializerWithStringManifest
{
    /// <summary>Stored in the journal's <c>identifier</c> and the snapshot's <c>serializer_id</c> column.</summary>
    public const int Id = 739_001;
    public const string Alias = "haven-json";

    private readonly EventManifestRegistry _registry;
    private readonly JsonEventSerializer _json;
    private readonly JsonSerializerOptions _options = JsonEventSerializer.CreateDefaultOptions();

    public HavenJsonAkkaSerializer(ExtendedActorSystem system, EventManifestRegistry registry, JsonEventSerializer json) : base(system)
    {
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _json = json ?? throw new ArgumentNullException(nameof(json));
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => _registry.TryGetManifest(o.GetType(), out var manifest)
        ? manifest
        : throw new ArgumentException($"type '{o.GetType().FullName}' has no manifest: register it with EventManifestRegistry before persisting it");

    public override byte[] ToBinary(object obj) => _json.Serialize(obj).Payload;

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!_registry.TryGetType(manifest, out var type))
            throw new SerializationException($"unknown event manifest '{manifest}' (no type is registered under it)");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, _options)
                ?? throw new SerializationException($"corrupt payload for manifest '{manifest}': JSON null is not a {type.Name}");
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"corrupt payload for manifest '{manifest}' ({bytes.Length} bytes): {ex.Message}", ex);
        }
    }
}
