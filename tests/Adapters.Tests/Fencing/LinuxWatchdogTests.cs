using System.Diagnostics;
using System.Text;
using Haven.Actors.Fencing;
using Haven.Adapters.Fencing;

namespace Haven.Adapters.Tests.Fencing;

/// <summary>
/// The kernel watchdog protocol against a regular file, a FIFO and /dev/null — never a real
/// /dev/watchdog (there is none here, and opening one would arm it).
/// </summary>
public sealed class LinuxWatchdogTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("haven-watchdog-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void ArmPetDisarm_RegularFile_WritesKeepalivesThenMagicClose()
    {
        var path = File(Path.Combine(directory, "wd"));
        var watchdog = new LinuxWatchdog(path);
        watchdog.Arm(TimeSpan.FromSeconds(10));
        Assert.True(watchdog.Armed);
        Assert.False(watchdog.IsCharacterDevice);
        Assert.Equal(TimeSpan.FromSeconds(10), watchdog.EffectiveTimeout);
        watchdog.Pet();
        watchdog.Pet();
        Assert.Equal("111", System.IO.File.ReadAllText(path));
        watchdog.Disarm();
        Assert.False(watchdog.Armed);
        Assert.Equal("111V", System.IO.File.ReadAllText(path));
    }

    [Fact]
    public void Dispose_WithoutDisarm_WritesNoMagicClose()
    {
        var path = File(Path.Combine(directory, "wd"));
        using (var watchdog = new LinuxWatchdog(path))
        {
            watchdog.Arm(TimeSpan.FromSeconds(5));
            watchdog.Pet();
        }

        Assert.Equal("11", System.IO.File.ReadAllText(path));
    }

    [Fact]
    public async Task ArmPetDisarm_Fifo_ReaderSeesTheBytesAndEndOfFile()
    {
        var path = Path.Combine(directory, "wd.fifo");
        using (var mkfifo = Process.Start("mkfifo", path))
        {
            await mkfifo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var reader = Task.Run(() =>
        {
            using var fifo = new FileStream(path, FileMode.Open, FileAccess.Read);
            using var all = new MemoryStream();
            fifo.CopyTo(all);
            return all.ToArray();
        });
        var watchdog = new LinuxWatchdog(path);
        await Task.Run(() => watchdog.Arm(TimeSpan.FromSeconds(1.5))).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(2), watchdog.EffectiveTimeout); // whole seconds, rounded up
        watchdog.Pet();
        watchdog.Disarm();
        var bytes = await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("11V", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void Arm_CharacterDeviceThatIsNoWatchdog_RefusesNamingTheDevice()
    {
        // /dev/null is a character device: the timeout ioctl is sent, and refused.
        var watchdog = new LinuxWatchdog("/dev/null");
        var error = Assert.Throws<WatchdogException>(() => watchdog.Arm(TimeSpan.FromSeconds(10)));
        Assert.Contains("/dev/null", error.Message, StringComparison.Ordinal);
        Assert.Contains("WDIOC_SETTIMEOUT", error.Message, StringComparison.Ordinal);
        Assert.False(watchdog.Armed);
    }

    [Fact]
    public void Arm_MissingDevice_RefusesNamingIt()
    {
        var path = Path.Combine(directory, "absent");
        var error = Assert.Throws<WatchdogException>(() => new LinuxWatchdog(path).Arm(TimeSpan.FromSeconds(10)));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pet_NotArmed_Throws() =>
        Assert.Throws<InvalidOperationException>(() => new LinuxWatchdog(File(Path.Combine(directory, "wd"))).Pet());

    [Fact]
    public void Arm_Twice_Throws()
    {
        using var watchdog = new LinuxWatchdog(File(Path.Combine(directory, "wd")));
        watchdog.Arm(TimeSpan.FromSeconds(3));
        Assert.Throws<InvalidOperationException>(() => watchdog.Arm(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void Arm_TimeoutBelowOneSecond_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinuxWatchdog(File(Path.Combine(directory, "wd"))).Arm(TimeSpan.FromMilliseconds(500)));

    private static string File(string path)
    {
        System.IO.File.WriteAllBytes(path, []);
        return path;
    }
}
