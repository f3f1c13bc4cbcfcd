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
    /// Takes an exclusive lock on PATH (created if needed) and writes our pid into it; the lock lives
    /// as long as the returned handle. Throws a CliException naming the holder when another process has it.
    /// </summary>
    public static FileStream AcquireLock(string lockPath, string what)
    {
        try
        {
            // On Unix, FileShare.None takes an advisory flock(LOCK_EX|LOCK_NB) on the file.
            var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            stream.Write(pid);
            stream.Flush(flushToDisk: true);
            return stream;
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            var holder = TryReadPid(lockPath);
            throw new CliException($"another haven daemon{(holder is null ? "" : $" (pid {holder})")} holds the {what}: lock {lockPath} is taken");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException($"cannot create lock file {lockPath} for the {what}: {e.Message}");
        }
        catch (DirectoryNotFoundException)
        {
            throw new CliException($"cannot create lock file {lockPath} for the {what}: directory {Path.GetDirectoryName(lockPath)} does not exist");
        }
    }

    private static string? TryReadPid(string lockPath)
    {
        try
        {
            using var s = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var r = new StreamReader(s);
            var text = r.ReadToEnd().Trim();
            return text.Length > 0 && text.All(char.IsAsciiDigit) ? text : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint NativeUmask(uint mask);

    /// <summary>Sets the process umask and returns the previous one (so sockets and files start owner-only).</summary>
    public static uint SetUmask(uint mask) => NativeUmask(mask);
}
