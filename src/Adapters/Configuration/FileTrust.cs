using System.Runtime.InteropServices;

namespace Haven.Adapters.Configuration;

/// <summary>What <see cref="FileTrust.Stat"/> found: owner, permission and type bits, and size.</summary>
public readonly record struct FileStatus(uint Uid, uint Mode, long Size)
{
    private const uint TypeMask = 0xF000;

    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;
    public bool IsDirectory => (Mode & TypeMask) == 0x4000;
    public bool IsSticky => (Mode & 0x200) != 0;
    public bool WritableByGroupOrOthers => (Mode & 0x12) != 0;
    public string Octal => Convert.ToString((int)(Mode & 0xFFF), 8).PadLeft(4, '0');
}

/// <summary>
/// The one rule for a file the daemon (root) reads as configuration or runs — config files and their includes,
/// secrets, the SMTP password, event scripts, fence agents and scripts, hypervisor and conntrackd tools, the
/// reboot command — as sshd's StrictModes checks a key file: the file and every directory above it are owned by
/// root or by the daemon's own user and not writable by group or others, so nobody else can change or replace
/// what runs as root. A directory that others may write is accepted only when it is root's and sticky (/tmp):
/// there nobody else can rename or remove what root put in it. Symbolic links are followed and the whole chain
/// of the target is checked, and the directories of the link itself. Used by every one of those readers, so there
/// is exactly one answer to "may this file be trusted".
/// </summary>
public static partial class FileTrust
{
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7FF;
    private const int StatxSize = 256;

    /// <summary>The daemon's own user (root in production).</summary>
    public static uint DaemonUid { get; } = GetEuid();

    /// <summary>Why <paramref name="path"/> may not be trusted (one line naming <paramref name="what"/>, the path and the fix), or null when it may.</summary>
    public static string? Problem(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) return $"{what}: no path given";
        var full = Path.GetFullPath(path);
        if (!Stat(full, out _, out var errno))
            return $"{what} {full} {(errno == 2 ? "does not exist" : $"cannot be examined (errno {errno})")}";
        var real = RealPath(full) ?? full;
        return Chain(real, what, isTarget: true)
            ?? (real != full && Path.GetDirectoryName(full) is { } linkDir ? Chain(linkDir, what, isTarget: false) : null);
    }

    /// <summary>Throws <see cref="UnauthorizedAccessException"/> with <see cref="Problem"/>'s line when the file may not be trusted.</summary>
    public static void Require(string path, string what)
    {
        if (Problem(path, what) is { } problem) throw new UnauthorizedAccessException(problem);
    }

    /// <summary>
    /// Why <paramref name="path"/> is not a regular file of at most <paramref name="maxBytes"/> (a device such as
    /// /dev/zero, a FIFO, a directory, something huge), or null when it is one; symbolic links are followed.
    /// </summary>
    public static string? RegularFileProblem(string path, long maxBytes, string what)
    {
        if (!Stat(Path.GetFullPath(path), out var status, out var errno))
            return $"{what} {path} {(errno == 2 ? "does not exist" : $"cannot be examined (errno {errno})")}";
        if (!status.IsRegularFile) return $"{what} {path} is not a regular file";
        return status.Size > maxBytes ? $"{what} {path} is {status.Size} bytes, more than the {maxBytes} allowed" : null;
    }

    /// <summary>A file the daemon reads as configuration or secrets: a bounded regular file (<see cref="RegularFileProblem"/>) that may be trusted (<see cref="Problem"/>).</summary>
    public static string? ReadableProblem(string path, long maxBytes, string what) =>
        RegularFileProblem(path, maxBytes, what) ?? Problem(path, what);

    /// <summary>stat(2) of <paramref name="path"/> (following links); false with errno when it cannot be examined.</summary>
    public static unsafe bool Stat(string path, out FileStatus status, out int errno)
    {
        var buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, 0, StatxBasicStats, buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            status = default;
            return false;
        }

        errno = 0;
        status = new FileStatus(*(uint*)(buffer + 20), *(ushort*)(buffer + 28), *(long*)(buffer + 40));
        return true;
    }

    /// <summary>The file and each directory above it, up to /.</summary>
    private static string? Chain(string path, string what, bool isTarget)
    {
        for (var at = path; at is not null; at = Path.GetDirectoryName(at))
        {
            if (!Stat(at, out var status, out var errno)) return $"{what} {path}: {at} cannot be examined (errno {errno})";
            var which = isTarget && at == path ? $"{what} {path}" : $"{what} {path}: its directory {at}";
            if (status.Uid != 0 && status.Uid != DaemonUid)
                return $"{which} is owned by uid {status.Uid}, not root{(DaemonUid == 0 ? "" : $" or uid {DaemonUid}")}; refusing to trust it (chown root {at})";
            if (status.WritableByGroupOrOthers && !(status.IsDirectory && status.IsSticky && status.Uid == 0))
                return $"{which} is writable by group or others (mode {status.Octal}); refusing to trust it (chmod go-w {at})";
        }

        return null;
    }

    private static string? RealPath(string path)
    {
        var resolved = NativeRealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
