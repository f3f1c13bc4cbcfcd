using Haven.Actors.Persistence;

namespace Haven.Actors.Simulation;

/// <summary>
/// The audit's decoded journal entries, by content: every host journals the same replicated events as the same
/// (manifest, JSON bytes), so the audit decodes each distinct entry once per run and hands the other hosts the
/// same decoded (immutable) event. An entry that does not decode is not kept: it fails again for every host.
/// One per run, never shared between runs.
/// </summary>
internal sealed class DecodedPayloads
{
    private readonly Dictionary<Key, object> _decoded = [];

    public object Deserialize(JsonEventSerializer reader, JournalEntry entry)
    {
        var key = new Key(entry.Manifest, entry.Payload);
        if (_decoded.TryGetValue(key, out var known)) return known;
        var value = reader.Deserialize(entry);
        _decoded[key] = value;
        return value;
    }

    private readonly struct Key(string manifest, byte[] payload) : IEquatable<Key>
    {
        private readonly int _hash = Hash(manifest, payload);

        public string Manifest { get; } = manifest;
        public byte[] Payload { get; } = payload;

        public bool Equals(Key other) =>
            _hash == other._hash && Manifest == other.Manifest && Payload.AsSpan().SequenceEqual(other.Payload);

        public override bool Equals(object? obj) => obj is Key other && Equals(other);

        public override int GetHashCode() => _hash;

        private static int Hash(string manifest, byte[] payload)
        {
            var hash = new HashCode();
            hash.Add(manifest, StringComparer.Ordinal);
            hash.AddBytes(payload);
            return hash.ToHashCode();
        }
    }
}
