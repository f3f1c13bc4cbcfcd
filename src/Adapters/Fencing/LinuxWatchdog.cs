using System.ComponentModel;
using System.Runtime.InteropServices;
using Haven.Actors.Fencing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Fencing;

/// <summary>
/// The Linux kernel watchdog protocol (Documentation/watchdog/watchdog-api): opening the device starts
/// the countdown; WDIOC_SETTIMEOUT sets it (only sent when the path is a character device, so that a
/// test can point the class at a regular file or a FIFO and read the bytes); every write is a
/// keepalive; writing 'V' and then closing is the magic close that stops it. <see cref="Dispose"/>
/// closes WITHOUT the magic character, like a crash: the watchdog stays armed and resets the host.
/// </summary>
public sealed partial class LinuxWatchdog : IWatchdog
{
    /// <summary>The byte written per keepalive (the kernel only cares that it is not 'V').</summary>
    public const byte KeepaliveByte = (byte)'1';

    /// <summary>The magic close character.</summary>
    public const byte MagicCloseByte = (byte)'V';

    /// <summary>_IOWR('W', 6, int).</summary>
    private const uint WdiocSetTimeout = 0xC0045706;

    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;
    private const int FileTypeMask = 0xF000;
    private const int CharacterDevice = 0x2000;

    private readonly ILogger logger;
    private FileStream? device;

    public LinuxWatchdog(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        this.logger = logger ?? NullLogger.Instance;
    }

    public string Path { get; }

    public bool Armed => device is not null;

    public TimeSpan? EffectiveTimeout { get; private set; }

    /// <summary>Whether the opened path is a character device (a real watchdog) rather than a file or FIFO.</summary>
    public bool IsCharacterDevice { get; private set; }

    public void Arm(TimeSpan timeout)
    {
        if (timeout < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "a watchdog timeout is a whole number of seconds, at least 1");
        }

        if (device is not null)
        {
            throw new InvalidOperationException($"watchdog {Path} is already armed");
        }

        var seconds = (int)Math.Ceiling(timeout.TotalSeconds);
        FileStream stream;
        try
        {
            stream = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WatchdogException(Path, $"cannot open it: {e.Message}", e);
        }

        device = stream;
        try
        {
            var fd = (int)stream.SafeFileHandle.DangerousGetHandle();
            IsCharacterDevice = IsCharacterDeviceFd(fd);
            if (IsCharacterDevice)
            {
                var value = seconds;
                if (Ioctl(fd, WdiocSetTimeout, ref value) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    throw new WatchdogException(Path, $"WDIOC_SETTIMEOUT {seconds} s refused: {new Win32Exception(errno).Message} (errno {errno}); is it a watchdog device?");
                }

                seconds = value;
            }

            EffectiveTimeout = TimeSpan.FromSeconds(seconds);
            Write(KeepaliveByte);
        }
        catch
        {
            // Do not leave a half-configured watchdog counting down: this is still a clean refusal.
            try
            {
                Disarm();
            }
            catch (WatchdogException)
            {
                // the original problem is the one to report
            }

            throw;
        }

        logger.LogInformation("Watchdog {Device} armed with a timeout of {Timeout} s", Path, seconds);
    }

    public void Pet()
    {
        if (device is null)
        {
            throw new InvalidOperationException($"watchdog {Path} is not armed");
        }

        Write(KeepaliveByte);
    }

    public void Disarm()
    {
        if (device is not { } stream)
        {
            return;
        }

        try
        {
            Write(MagicCloseByte);
        }
        finally
        {
            device = null;
            EffectiveTimeout = null;
            stream.Dispose();
        }

        logger.LogInformation("Watchdog {Device} disarmed (magic close)", Path);
    }

    /// <summary>Closes without the magic character: an armed watchdog keeps counting and resets the host.</summary>
    public void Dispose()
    {
        if (device is { } stream)
        {
            device = null;
            stream.Dispose();
            logger.LogWarning("Watchdog {Device} closed without disarming: it will reset this host unless reopened", Path);
        }
    }

    private void Write(byte value)
    {
        try
        {
            device!.Write([value]);
        }
        catch (IOException e)
        {
            throw new WatchdogException(Path, $"write failed: {e.Message}", e);
        }
    }

    private static unsafe bool IsCharacterDeviceFd(int fd)
    {
        var buffer = stackalloc byte[StatxSize];
        if (Statx(fd, "", AtEmptyPath, StatxType, buffer) != 0)
        {
            return false;
        }

        var mode = *(ushort*)(buffer + StatxModeOffset);
        return (mode & FileTypeMask) == CharacterDevice;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, ref int value);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
