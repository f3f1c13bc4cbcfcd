using System.Security.Cryptography;
using System.Text;

namespace Haven.Actors.Cluster;

/// <summary>One event of the replicated stream as it travels and is compared: position, manifest, JSON payload.</summary>
public sealed record StreamRecord(long Index, string Manifest, byte[] Payload);

/// <summary>
/// The replicated stream as this host holds it: records 1..Count in delivery order with a SHA-256 hash
/// chain, so two hosts can compare histories by (index, digest) without shipping them.
/// </summary>
public sealed class ReplicatedStream
{
    private readonly List<StreamRecord> _records = [];
    private readonly List<byte[]> _chain = [];

    public long Count => _records.Count;

    /// <summary>Digest of the whole stream ("" when empty), hex.</summary>
    public string Digest => DigestAt(Count);

    /// <summary>Digest of the first <paramref name="index"/> records ("" for 0).</summary>
    public string DigestAt(long index) =>
        index == 0 ? "" : index <= _chain.Count ? Convert.ToHexStringLower(_chain[(int)index - 1]) : throw new ArgumentOutOfRangeException(nameof(index));

    public bool HasPrefix(long index, string digest) => index <= Count && DigestAt(index) == digest;

    public void Append(string manifest, byte[] payload)
    {
        var index = Count + 1;
        var previous = _chain.Count == 0 ? [] : _chain[^1];
        var header = Encoding.UTF8.GetBytes($"{index}\n{manifest}\n");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(previous);
        hash.AppendData(header);
        hash.AppendData(payload);
        _chain.Add(hash.GetHashAndReset());
        _records.Add(new StreamRecord(index, manifest, payload));
    }

    /// <summary>Records after <paramref name="index"/>, oldest first.</summary>
    public IReadOnlyList<StreamRecord> After(long index) =>
        index >= Count ? [] : _records.GetRange((int)index, (int)(Count - index));

    public void Clear()
    {
        _records.Clear();
        _chain.Clear();
    }
}
