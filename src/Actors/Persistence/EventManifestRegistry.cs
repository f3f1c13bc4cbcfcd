using System.Collections.Concurrent;

namespace Haven.Actors.Persistence;

/// <summary>
/// Maps each persisted type (event or snapshot state) to an explicit, stable manifest string such as
/// <c>cluster.node-joined.v1</c>. Journals store the manifest, never a CLR type name, so types can be
/// renamed or moved without breaking recovery. A manifest or type may be registered only once.
/// </summary>
public sealed class EventManifestRegistry
{
    private readonly ConcurrentDictionary<Type, string> _manifestByType = new();
    private readonly ConcurrentDictionary<string, Type> _typeByManifest = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Registers <typeparamref name="T"/> under <paramref name="manifest"/>; returns this registry for chaining.</summary>
    public EventManifestRegistry Register<T>(string manifest) => Register(typeof(T), manifest);

    public EventManifestRegistry Register(Type type, string manifest)
    {
        ArgumentNullException.ThrowIfNull(type);
        ValidateManifest(type, manifest);
        if (type.IsAbstract || type.IsInterface || type.ContainsGenericParameters)
            throw new ArgumentException(
                $"cannot register '{type.FullName}' under manifest '{manifest}': only concrete types can be persisted",
                nameof(type));
        lock (_gate)
        {
            if (_typeByManifest.TryGetValue(manifest, out var existing))
                throw new InvalidOperationException(
                    $"manifest '{manifest}' is already registered for '{existing.FullName}'; cannot register it again for '{type.FullName}'");
            if (_manifestByType.TryGetValue(type, out var existingManifest))
                throw new InvalidOperationException(
                    $"type '{type.FullName}' is already registered under manifest '{existingManifest}'; cannot register it again under '{manifest}'");
            _typeByManifest[manifest] = type;
            _manifestByType[type] = manifest;
        }
        return this;
    }

    public bool TryGetManifest(Type type, out string manifest)
    {
        if (_manifestByType.TryGetValue(type, out var found)) { manifest = found; return true; }
        manifest = "";
        return false;
    }

    public bool TryGetType(string manifest, out Type type)
    {
        if (_typeByManifest.TryGetValue(manifest, out var found)) { type = found; return true; }
        type = typeof(object);
        return false;
    }

    /// <summary>Every registration, ordered by manifest (for diagnostics and the CLI).</summary>
    public IReadOnlyList<KeyValuePair<string, Type>> Registrations =>
        _typeByManifest.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();

    private static void ValidateManifest(Type type, string manifest)
    {
        if (string.IsNullOrWhiteSpace(manifest))
            throw new ArgumentException($"manifest for '{type.FullName}' must not be empty", nameof(manifest));
        foreach (var c in manifest)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
                throw new ArgumentException(
                    $"manifest '{manifest}' for '{type.FullName}' must not contain whitespace or control characters",
                    nameof(manifest));
        }
    }
}
