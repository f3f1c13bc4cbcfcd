using System.Runtime.InteropServices;

namespace Haven.Host.Daemon;

/// <summary>
/// Haven runs as root, reads config and runs scripts: files others can write are refused (vzhaipd's
/// permission check), and one daemon per journal and socket is enforced with lock files.
/// </summary>
internal static class FileGuards
{
    private const UnixFileMode OthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>A one-line problem when the file is writable by group or others, else null.</summary>
    public static string? OpenModeProblem(string path, string what)
    {
        var mode = File.GetUnixFileMode(path);
        if ((mode & OthersWrite) == 0) return null;
        var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
        return $"{what} {path} is writable by group or others (mode {octal}); fix it with: chmod go-w {path}";
    }

    public static void EnsureNotWritableByOthers(string path, string what)
    {
        if (OpenModeProblem(path, what) is { } problem) throw new CliException(problem);
    }

    /// <summary>
    /// Takes an exclusive open-file-description lock (fcntl F_OFD_SETLK) on PATH (created if needed) and writes our pid into it; the lock lives as
    /// long as the returned handle. Throws a CliException naming the holder when another process has it.
    /// </summary>
    public static FileStream AcquireLock(string lockPath, string what)
    {
        FileStream stream;
        try
        {
            // .NET puts a shared flock on every file it opens (exclusive only for FileShare.None), so the pid
            // stays readable; exclusivity comes from an OFD record lock, which also works within one process.
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            var reason = e is DirectoryNotFoundException ? $"directory {Path.GetDirectoryName(lockPath)} does not exist" : e.Message;
            throw new CliException($"cannot create lock file {lockPath} for the {what}: {reason}");
        }
        var whole = new RecordLock { Type = WriteLock, Whence = 0, Start = 0, Length = 0 };
        if (Fcntl(stream.SafeFileHandle.DangerousGetHandle().ToInt32(), OfdSetLock, ref whole) != 0)
        {
            stream.Dispose();
            var holder = TryReadPid(lockPath);
            throw new CliException($"another haven daemon{(holder is null ? "" : $" (pid {holder})")} holds the {what}: lock {lockPath} is taken");
        }
        stream.SetLength(0);
        stream.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
        stream.Flush(flushToDisk: true);
        return stream;
    }

    private static string? TryReadPid(string lockPath)
    {
        try
        {
            var text = File.ReadAllText(lockPath).Trim();
            return text.Length > 0 && text.All(char.IsAsciiDigit) ? text : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private const int OfdSetLock = 37; // F_OFD_SETLK: non-blocking
    private const short WriteLock = 1; // F_WRLCK

    /// <summary>struct flock on Linux x86_64/arm64 (sequential layout gives C's padding).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RecordLock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, ref RecordLock lockInfo);

    /// <summary>Creates DIR (mode 0700) when it does not exist; a clear CliException when it cannot.</summary>
    public static void EnsureDirectory(string dir, string what)
    {
        if (Directory.Exists(dir)) return;
        try
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot create {what} directory {dir}: {e.Message}");
        }
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint NativeUmask(uint mask);

    /// <summary>Sets the process umask and returns the previous one (so sockets and files start owner-only).</summary>
    public static uint SetUmask(uint mask) => NativeUmask(mask);
}
