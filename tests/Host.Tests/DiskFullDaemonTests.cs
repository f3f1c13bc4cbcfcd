using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Haven.Host.Tests;

/// <summary>
/// The journal on a real full disk (a tmpfs of 4 MiB mounted for the test, then filled): a change that cannot be journaled
/// stops the daemon with one line naming the journal (exit 1, for systemd to start it again) and is never acknowledged;
/// SIGTERM stops at once with one line instead of waiting 30 s on the stop record; the socket is removed either way.
/// Needs root (mount).
/// </summary>
public sealed class DiskFullDaemonTests
{
    [Fact]
    public async Task Daemon_JournalDiskFull_AChangeIsRefusedAndTheDaemonStopsWithOneLine_SocketRemoved()
    {
        using var dir = new TempDir();
        using var disk = SmallDisk.Mount(dir.File("disk"));
        var config = dir.SimulatedDaemonConfig(disk.File("journal.db"));
        var daemon = await RunningDaemon.StartAsync(config);
        await using var _ = daemon;
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        disk.Fill();

        var (code, output, err) = await CliRunner.RunAsync("config", "set", "haven.heuristics.interval", "3s", "--socket", dir.File("haven.sock"));

        Assert.True(code == 1, $"a change the journal could not record was acknowledged: exit {code} {output} {err}");
        var e = await Assert.ThrowsAsync<CliException>(() => daemon.Run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith($"the journal {disk.File("journal.db")} could not be written (", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(dir.File("haven.sock")), "the socket was left behind");
    }

    [Fact]
    public async Task Daemon_SigtermWithTheJournalDiskFull_ExitsAtOnceWithOneLine_SocketRemoved()
    {
        using var dir = new TempDir();
        using var disk = SmallDisk.Mount(dir.File("disk"));
        var config = dir.SimulatedDaemonConfig(disk.File("journal.db"), console: true);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "haven.dll"), "daemon", "--config", config }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var stderr = new System.Text.StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (stderr) stderr.AppendLine(e.Data);
                if (e.Data.Contains("started; journal")) started.TrySetResult();
            };
            process.BeginErrorReadLine();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var ready = await Task.WhenAny(started.Task, process.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(ready == started.Task, $"the daemon did not start: {stderr}");
            disk.Fill();
            var clock = Stopwatch.StartNew();

            Assert.Equal(0, Kill(process.Id, 15));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            string log;
            lock (stderr) log = stderr.ToString();
            Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}: {log}");
            var line = Assert.Single(log.Split('\n'), l => l.StartsWith("haven: ", StringComparison.Ordinal)); // the rest is the console log
            // The stop record fails, or (when a periodic write reaches the full disk between the fill and SIGTERM, as under
            // load) an earlier write has already stopped the daemon: either way one line naming the journal.
            Assert.True(line.StartsWith($"haven: the journal {disk.File("journal.db")} could not record the stop (", StringComparison.Ordinal)
                        || line.StartsWith($"haven: the journal {disk.File("journal.db")} could not be written (", StringComparison.Ordinal), line);
            Assert.Equal("", await stdout);
            Assert.False(File.Exists(dir.File("haven.sock")), "the socket was left behind");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"the stop took {clock.Elapsed.TotalSeconds:0.0} s, as long as waiting out the stop record's 30 s");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>A 4 MiB tmpfs mounted at a test's folder (unmounted on dispose, also after a failure), that the test can fill.</summary>
internal sealed class SmallDisk : IDisposable
{
    private readonly string _path;

    private SmallDisk(string path) => _path = path;

    public string File(string name) => Path.Combine(_path, name);

    public static SmallDisk Mount(string path)
    {
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", path);
        return new SmallDisk(path);
    }

    /// <summary>Writes a filler file until the disk says it is full (ENOSPC).</summary>
    public void Fill()
    {
        var chunk = new byte[64 * 1024];
        try
        {
            using var filler = new FileStream(File("filler"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            while (true)
            {
                filler.Write(chunk);
                filler.Flush();
            }
        }
        catch (IOException)
        {
            // full: that was the point
        }
        try
        {
            using var small = new FileStream(File("filler-tail"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            for (var i = 0; i < 64; i++)
            {
                small.Write(chunk, 0, 1024);
                small.Flush();
            }
        }
        catch (IOException)
        {
            // every last block taken
        }
    }

    public void Dispose() => Run("umount", "-l", _path);

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var err = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {process.ExitCode}: {err}");
    }
}
