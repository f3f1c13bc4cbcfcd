using System.Runtime.InteropServices;

namespace Haven.Host.Daemon;

/// <summary>
/// One daemon per journal and socket, enforced with lock files; the socket's directory and umask. (Whether a file
/// may be trusted is <see cref="Haven.Adapters.Configuration.FileTrust"/>'s one rule.)
/// </summary>
internal static class FileGuards
{
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
