using System.Diagnostics;
using System.Runtime.InteropServices;
using Haven.Adapters.Persistence.Sqlite;

namespace Haven.Host.Tests;

/// <summary>The real executable, as an operator runs it: a separate process stopped with SIGTERM.</summary>
public class DaemonProcessTests
{
    /// <summary>Longer than System.CommandLine's default 2 s grace after a termination signal.</summary>
    private const int ShutdownScriptSeconds = 3;

    [Fact]
    public async Task Daemon_Sigterm_WaitsForASlowShutdownScriptRecordsShutdownFlushesJournalAndExits0()
    {
        using var dir = new TempDir();
        var scripts = Directory.CreateDirectory(dir.File("events.d")).FullName;
        var script = Path.Combine(scripts, "10.slow-shutdown");
        File.WriteAllText(script, $"#!/bin/sh\n[ \"$1\" = shutdown ] || exit 0\nsleep {ShutdownScriptSeconds}\necho done > '{dir.File("shutdown.done")}'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster.node-name = proc1
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              logging { console = on, format = json }
              events { scripts-dir = "{{scripts}}", script-timeout = 30s }
            }
            """);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "haven.dll"));
        psi.ArgumentList.Add("daemon");
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(config);
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
            var ready = await Task.WhenAny(started.Task, process.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(ready == started.Task, $"daemon did not start: {stderr}");

            var (code, output, _) = await CliRunner.RunAsync("status", "--json", "--socket", dir.File("haven.sock"));
            Assert.Equal(0, code);
            Assert.Contains("\"proc1\"", output);

            Assert.Equal(0, Kill(process.Id, 15));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stderr}");
            Assert.True(File.Exists(dir.File("shutdown.done")), $"the shutdown script was cut off: {stderr}");
            Assert.False(File.Exists(dir.File("haven.sock")), "the socket file is removed on a clean stop");
            string log;
            lock (stderr) log = stderr.ToString();
            Assert.Contains("\"RenderedMessage\"", log); // JSON log format from the config

            await using var journal = await SqliteJournal.OpenAsync(dir.File("journal.db"));
            var entries = new List<string>();
            await foreach (var e in journal.ReadAllAsync(0)) entries.Add(e.Manifest);
            Assert.Equal(["daemon.started.v1", "daemon.stopped.v1"], entries.Where(m => m.StartsWith("daemon.")));
            Assert.Equal("daemon.stopped.v1", entries[^1]); // the stop is the last thing journaled
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
