using System.Runtime.InteropServices;

namespace Haven.Adapters.Corosync;

/// <summary>
/// libcpg.so.4, libvotequorum.so.8 and the few libc calls the dispatch loop needs. Blittable structs
/// laid out as corosync 3's headers declare them (sizes checked in tests); no marshalling.
/// </summary>
internal static unsafe partial class CorosyncNative
{
    private const string Cpg = "libcpg.so.4";
    private const string VoteQuorum = "libvotequorum.so.8";
    private const string Libc = "libc";

    public const int CpgModelV1 = 1;
    public const int CpgTypeAgreed = 2;
    public const int DispatchAll = 2;
    public const uint TrackChanges = 2;
    public const uint QuorateFlag = 2;
    public const int GroupNameMax = 128;

    [StructLayout(LayoutKind.Sequential)]
    public struct CpgName
    {
        public uint Length;
        public fixed byte Value[GroupNameMax];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CpgAddress
    {
        public uint NodeId;
        public uint Pid;
        public uint Reason;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CpgRingId
    {
        public uint NodeId;
        public ulong Seq;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CpgModelV1Data
    {
        public int Model;
        public delegate* unmanaged<ulong, CpgName*, uint, uint, void*, nuint, void> Deliver;
        public delegate* unmanaged<ulong, CpgName*, CpgAddress*, nuint, CpgAddress*, nuint, CpgAddress*, nuint, void> ConfChg;
        public delegate* unmanaged<ulong, CpgRingId, uint, uint*, void> TotemConfChg;
        public uint Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct VoteQuorumInfo
    {
        public uint NodeId;
        public uint NodeState;
        public uint NodeVotes;
        public uint NodeExpectedVotes;
        public uint HighestExpected;
        public uint TotalVotes;
        public uint Quorum;
        public uint Flags;
        public uint QdeviceVotes;
        public fixed byte QdeviceName[255];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct VoteQuorumNode
    {
        public uint NodeId;
        public uint State;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct VoteQuorumCallbacks
    {
        public delegate* unmanaged<ulong, ulong, uint, uint, VoteQuorumNode*, void> Quorum;
        public delegate* unmanaged<ulong, ulong, uint, void> ExpectedVotes;
        public void* NodeList;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    public const short PollIn = 0x001;
    public const short PollErr = 0x008;
    public const short PollHup = 0x010;
    public const short PollNval = 0x020;

    private const string Cmap = "libcmap.so.4";

    [LibraryImport(Cmap, EntryPoint = "cmap_initialize")]
    public static partial int CmapInitialize(ulong* handle);

    [LibraryImport(Cmap, EntryPoint = "cmap_finalize")]
    public static partial int CmapFinalize(ulong handle);

    [LibraryImport(Cmap, EntryPoint = "cmap_get_string")]
    public static partial int CmapGetString(ulong handle, byte* keyName, byte** value);

    [LibraryImport("libc", EntryPoint = "free")]
    public static partial void Free(void* pointer);

    [LibraryImport(Cmap, EntryPoint = "cmap_get_uint32")]
    public static partial int CmapGetUInt32(ulong handle, byte* keyName, uint* value);

    /// <summary>A string key of corosync's configuration map (e.g. totem.cluster_name), or null with the error.</summary>
    public static string? ReadCmapString(string key, out string error)
    {
        string? value = null;
        error = WithCmap(handle => ReadString(handle, key, out value));
        if (error.Length == 0 && value is null) error = $"{key} is not set (CS_ERR_NOT_EXIST)";
        return error.Length == 0 ? value : null;
    }

    /// <summary>
    /// corosync's nodelist as Pacemaker reads it: for X = 0, 1, … while <c>nodelist.node.X.nodeid</c>
    /// exists, the nodeid and the name (<c>nodelist.node.X.name</c>, else <c>ring0_addr</c>); null with
    /// the error when corosync cannot be asked.
    /// </summary>
    public static System.Collections.Immutable.ImmutableArray<(string Name, uint Id)>? ReadCmapNodeList(out string error)
    {
        var nodes = System.Collections.Immutable.ImmutableArray.CreateBuilder<(string, uint)>();
        error = WithCmap(handle =>
        {
            for (var i = 0; ; i++)
            {
                var prefix = $"nodelist.node.{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}.";
                uint id;
                var key = System.Text.Encoding.UTF8.GetBytes(prefix + "nodeid\0");
                int rc;
                fixed (byte* k = key) rc = CmapGetUInt32(handle, k, &id);
                if (rc == CorosyncErrors.NotExist) return "";
                if (rc != CorosyncErrors.Ok) return CorosyncErrors.Describe($"cmap_get_uint32 {prefix}nodeid", rc);
                var failure = ReadString(handle, prefix + "name", out var name);
                if (name is null && failure.Length == 0) failure = ReadString(handle, prefix + "ring0_addr", out name);
                if (failure.Length > 0) return failure;
                nodes.Add((name ?? "", id));
            }
        });
        return error.Length == 0 ? nodes.ToImmutable() : null;
    }

    /// <summary>Runs <paramref name="read"/> on a fresh cmap connection; "" or the error.</summary>
    private static string WithCmap(Func<ulong, string> read)
    {
        ulong handle;
        var rc = CmapInitialize(&handle);
        if (rc != CorosyncErrors.Ok) return CorosyncErrors.Describe("cmap_initialize", rc);
        try
        {
            return read(handle);
        }
        finally
        {
            CmapFinalize(handle);
        }
    }

    /// <summary>A string key: "" and the value, "" and null when the key does not exist, or the error.</summary>
    private static string ReadString(ulong handle, string key, out string? value)
    {
        value = null;
        var name = System.Text.Encoding.UTF8.GetBytes(key + "\0");
        byte* text = null;
        int rc;
        fixed (byte* k = name) rc = CmapGetString(handle, k, &text);
        if (rc == CorosyncErrors.NotExist) return "";
        if (rc != CorosyncErrors.Ok) return CorosyncErrors.Describe($"cmap_get_string {key}", rc);
        try
        {
            value = Marshal.PtrToStringUTF8((nint)text);
            return "";
        }
        finally
        {
            Free(text);
        }
    }

    [LibraryImport(Cpg, EntryPoint = "cpg_model_initialize")]
    public static partial int CpgModelInitialize(ulong* handle, int model, CpgModelV1Data* data, void* context);

    [LibraryImport(Cpg, EntryPoint = "cpg_finalize")]
    public static partial int CpgFinalize(ulong handle);

    [LibraryImport(Cpg, EntryPoint = "cpg_fd_get")]
    public static partial int CpgFdGet(ulong handle, int* fd);

    [LibraryImport(Cpg, EntryPoint = "cpg_local_get")]
    public static partial int CpgLocalGet(ulong handle, uint* nodeId);

    [LibraryImport(Cpg, EntryPoint = "cpg_max_atomic_msgsize_get")]
    public static partial int CpgMaxAtomicMsgSizeGet(ulong handle, uint* size);

    [LibraryImport(Cpg, EntryPoint = "cpg_dispatch")]
    public static partial int CpgDispatch(ulong handle, int dispatchTypes);

    [LibraryImport(Cpg, EntryPoint = "cpg_join")]
    public static partial int CpgJoin(ulong handle, CpgName* group);

    [LibraryImport(Cpg, EntryPoint = "cpg_leave")]
    public static partial int CpgLeave(ulong handle, CpgName* group);

    [LibraryImport(Cpg, EntryPoint = "cpg_mcast_joined")]
    public static partial int CpgMcastJoined(ulong handle, int guarantee, IoVec* iovec, uint iovLen);

    [LibraryImport(VoteQuorum, EntryPoint = "votequorum_initialize")]
    public static partial int VoteQuorumInitialize(ulong* handle, VoteQuorumCallbacks* callbacks);

    [LibraryImport(VoteQuorum, EntryPoint = "votequorum_finalize")]
    public static partial int VoteQuorumFinalize(ulong handle);

    [LibraryImport(VoteQuorum, EntryPoint = "votequorum_fd_get")]
    public static partial int VoteQuorumFdGet(ulong handle, int* fd);

    [LibraryImport(VoteQuorum, EntryPoint = "votequorum_dispatch")]
    public static partial int VoteQuorumDispatch(ulong handle, int dispatchTypes);

    [LibraryImport(VoteQuorum, EntryPoint = "votequorum_trackstart")]
    public static partial int VoteQuorumTrackStart(ulong handle, ulong context, uint flags);

    [LibraryImport(VoteQuorum, EntryPoint = "votequorum_getinfo")]
    public static partial int VoteQuorumGetInfo(ulong handle, uint nodeId, VoteQuorumInfo* info);

    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;
}
