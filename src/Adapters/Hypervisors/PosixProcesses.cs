using System.Globalization;
using System.Runtime.InteropServices;

namespace Haven.Adapters.Hypervisors;

/// <summary>What /proc/PID/stat says about a process: its state letter, process group and start time (clock ticks after boot).</summary>
internal sealed record ProcStat(int Pid, char State, int ProcessGroup, ulong StartTime);

/// <summary>
/// The libc calls the process hypervisor needs: posix_spawnp into a new session (so the VM's process
/// group can be signalled as a whole and outlives the daemon), with stdin from /dev/null, stdout and
/// stderr appended to a log file, default signal dispositions and an empty signal mask; kill; waitpid
/// for exit statuses; /proc/PID/stat.
/// </summary>
internal static unsafe partial class PosixProcesses
{
    public const int SigTerm = 15;
    public const int SigKill = 9;
    public const int SigCont = 18;

    private const short SpawnSetSigDefault = 0x04;
    private const short SpawnSetSigMask = 0x08;
    private const short SpawnSetSid = 0x80;
    private const int ReadOnly = 0;
    private const int WriteCreateAppend = 0x1 | 0x40 | 0x400;
    private const int WaitNoHang = 1;
    private const int Esrch = 3;

    // glibc's opaque types are smaller (80, 336 and 128 bytes); generous buffers cost nothing.
    private const int OpaqueSize = 1024;

    /// <summary>Starts <paramref name="argv"/> (argv[0] looked up in PATH) in a new session; returns its pid (which is also its process group).</summary>
    public static int Spawn(IReadOnlyList<string> argv, string logPath)
    {
        var actions = NativeMemory.AllocZeroed(OpaqueSize);
        var attributes = NativeMemory.AllocZeroed(OpaqueSize);
        var signals = NativeMemory.AllocZeroed(OpaqueSize);
        var strings = new List<nint>();
        nint* argvBlock = null;
        nint* envBlock = null;
        try
        {
            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Check(posix_spawn_file_actions_addopen(actions, 0, "/dev/null", ReadOnly, 0), "open /dev/null");
            Check(posix_spawn_file_actions_addopen(actions, 1, logPath, WriteCreateAppend, Convert.ToUInt32("640", 8)), $"open {logPath}");
            Check(posix_spawn_file_actions_adddup2(actions, 1, 2), "dup2");
            Check(posix_spawnattr_init(attributes), "posix_spawnattr_init");
            Check(posix_spawnattr_setflags(attributes, SpawnSetSid | SpawnSetSigDefault | SpawnSetSigMask), "posix_spawnattr_setflags");
            _ = sigfillset(signals);
            Check(posix_spawnattr_setsigdefault(attributes, signals), "posix_spawnattr_setsigdefault");
            _ = sigemptyset(signals);
            Check(posix_spawnattr_setsigmask(attributes, signals), "posix_spawnattr_setsigmask");

            argvBlock = Block(argv, strings);
            var environment = Environment.GetEnvironmentVariables();
            envBlock = Block(
                environment.Keys.Cast<object>().Select(k => $"{k}={environment[k]}").ToList(),
                strings);
            var result = posix_spawnp(out var pid, argv[0], actions, attributes, argvBlock, envBlock);
            if (result != 0)
            {
                throw new IOException(Marshal.GetPInvokeErrorMessage(result));
            }

            return pid;
        }
        finally
        {
            _ = posix_spawn_file_actions_destroy(actions);
            _ = posix_spawnattr_destroy(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(signals);
            NativeMemory.Free(argvBlock);
            NativeMemory.Free(envBlock);
            strings.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to a pid (or, negative, a process group); false when there is no such process.</summary>
    public static bool Signal(int pidOrGroup, int signal)
    {
        if (kill(pidOrGroup, signal) == 0)
        {
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        return error == Esrch ? false : throw new IOException($"kill({pidOrGroup}, {signal}): {Marshal.GetPInvokeErrorMessage(error)}");
    }

    /// <summary>Reaps <paramref name="pid"/> if it is an exited child of this process: "exit code N" or "killed by signal N"; null otherwise.</summary>
    public static string? TryReap(int pid)
    {
        int status;
        if (waitpid(pid, &status, WaitNoHang) != pid)
        {
            return null;
        }

        return (status & 0x7f) == 0
            ? $"exit code {(status >> 8) & 0xff}"
            : $"killed by signal {status & 0x7f}";
    }

    private static readonly Lazy<string> Boot = new(() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim());

    /// <summary>This boot's id (/proc/sys/kernel/random/boot_id): process start times count from boot.</summary>
    public static string BootId() => Boot.Value;

    /// <summary>/proc/PID/stat, or null when there is no such process.</summary>
    public static ProcStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and parentheses, so split after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new ProcStat(
            pid,
            fields[0][0],
            int.Parse(fields[2], CultureInfo.InvariantCulture),
            ulong.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    private static nint* Block(IReadOnlyList<string> values, List<nint> strings)
    {
        var block = (nint*)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(nint));
        for (var i = 0; i < values.Count; i++)
        {
            var s = Marshal.StringToCoTaskMemUTF8(values[i]);
            strings.Add(s);
            block[i] = s;
        }

        return block;
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(result)}");
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int posix_spawnp(out int pid, string file, void* fileActions, void* attributes, nint* argv, nint* envp);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int posix_spawn_file_actions_addopen(void* actions, int fd, string path, int flags, uint mode);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(void* attributes);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(void* attributes);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(void* attributes, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigdefault(void* attributes, void* signals);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigmask(void* attributes, void* signals);

    [LibraryImport("libc")]
    private static partial int sigfillset(void* signals);

    [LibraryImport("libc")]
    private static partial int sigemptyset(void* signals);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial int waitpid(int pid, int* status, int options);
}
