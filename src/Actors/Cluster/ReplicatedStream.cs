using System.Security.Cryptography;
using System.Text;

namespace Haven.Actors.Cluster;

/// <summary>One event of the replicated stream as it travels and is compared: position, manifest, JSON payload.</summary>
public sealed record StreamRecord(long Index, string Manifest, byte[] Payload);

/// <summary>
/// The replicated stream as this host holds it: a base (the index and digest of the latest snapshot, 0 and ""
/// when there is none) and the records after it, BaseIndex+1..Count, in delivery order with a SHA-256 hash
/// chain, so two hosts can compare histories by (index, digest) without shipping them. Records before the base
/// are not held: their digests are known only through the base's.
/// </summary>
public sealed class ReplicatedStream
{
    private readonly List<StreamRecord> _records = [];
    private readonly List<byte[]> _chain = [];
    private byte[] _baseHash = [];

    /// <summary>Index of the base (the latest snapshot): records up to it are not held.</summary>
    public long BaseIndex { get; private set; }

    public long Count => BaseIndex + _records.Count;

    /// <summary>Records held after the base.</summary>
    public int TailCount => _records.Count;

    /// <summary>Digest of the whole stream ("" when empty), hex.</summary>
    public string Digest => DigestAt(Count);

    /// <summary>Digest of the first <paramref name="index"/> records ("" for 0); only from the base on.</summary>
    public string DigestAt(long index) =>
        index < BaseIndex || index > Count ? throw new ArgumentOutOfRangeException(nameof(index), index, $"the stream holds digests {BaseIndex}..{Count}")
        : Convert.ToHexStringLower(HashAt(index));

    /// <summary>Whether this stream's first <paramref name="index"/> records have that digest (false below the base: not known).</summary>
    public bool HasPrefix(long index, string digest) => index >= BaseIndex && index <= Count && DigestAt(index) == digest;

    public void Append(string manifest, byte[] payload)
    {
        var index = Count + 1;
        _chain.Add(Chain(HashAt(Count), index, manifest, payload));
        _records.Add(new StreamRecord(index, manifest, payload));
    }

    /// <summary>The digest after <paramref name="previous"/> (hex, "" for the empty stream) and one record at <paramref name="index"/>.</summary>
    public static string Next(string previous, long index, string manifest, byte[] payload) =>
        Convert.ToHexStringLower(Chain(Convert.FromHexString(previous), index, manifest, payload));

    private static byte[] Chain(byte[] previous, long index, string manifest, byte[] payload)
    {
        // One-shot SHA-256 of previous ‖ header ‖ payload (an IncrementalHash would allocate a native context, with a
        // finalizer, per record).
        var header = Encoding.UTF8.GetBytes($"{index}\n{manifest}\n");
        var input = new byte[previous.Length + header.Length + payload.Length];
        previous.CopyTo(input, 0);
        header.CopyTo(input, previous.Length);
        payload.CopyTo(input, previous.Length + header.Length);
        return SHA256.HashData(input);
    }

    private byte[] HashAt(long index) => index == BaseIndex ? _baseHash : _chain[(int)(index - BaseIndex) - 1];

    /// <summary>Records after <paramref name="index"/> (not before the base), oldest first.</summary>
    public IReadOnlyList<StreamRecord> After(long index)
    {
        if (index < BaseIndex) throw new ArgumentOutOfRangeException(nameof(index), index, $"records up to the base {BaseIndex} are not held");
        return index >= Count ? [] : _records.GetRange((int)(index - BaseIndex), (int)(Count - index));
    }

    /// <summary>The stream now starts at a snapshot: nothing is held before <paramref name="index"/>, whose digest is given.</summary>
    public void Rebase(long index, string digest)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (index == 0 && digest.Length > 0) throw new ArgumentException("the empty stream's digest is \"\"", nameof(digest));
        _records.Clear();
        _chain.Clear();
        BaseIndex = index;
        _baseHash = Convert.FromHexString(digest);
    }

    /// <summary>Drops the records up to <paramref name="index"/> (a snapshot was taken there); the later ones stay.</summary>
    public void TruncateBefore(long index)
    {
        if (index < BaseIndex || index > Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the stream holds {BaseIndex}..{Count}");
        var drop = (int)(index - BaseIndex);
        if (drop == 0) return;
        _baseHash = _chain[drop - 1];
        _records.RemoveRange(0, drop);
        _chain.RemoveRange(0, drop);
        BaseIndex = index;
    }

    /// <summary>Keeps the records up to <paramref name="index"/> (not below the base) and drops the later ones.</summary>
    public void TruncateAfter(long index)
    {
        if (index < BaseIndex || index > Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the stream holds {BaseIndex}..{Count}");
        var keep = (int)(index - BaseIndex);
        _records.RemoveRange(keep, _records.Count - keep);
        _chain.RemoveRange(keep, _chain.Count - keep);
    }

    public void Clear() => Rebase(0, "");
}
