using System.CommandLine;
using Haven.Host.Control;
using Haven.Host.Daemon;

namespace Haven.Host.Cli;

/// <summary>
/// `haven demo`: starts a daemon from a sample configuration in a temporary folder, shows what
/// `haven status` and `haven events` print, stops it cleanly and removes the folder. Needs no terminal input.
/// </summary>
internal static class DemoVerb
{
    public static Command Build(CliContext cli)
    {
        var keep = new Option<bool>("--keep") { Description = "keep the temporary folder (config, journal, log) for a look afterwards" };
        var cmd = new Command("demo", "run a narrated demonstration in a temporary folder") { keep };
        cmd.SetAction(async (parse, ct) => await RunAsync(cli, parse.GetValue(keep), ct));
        return cmd;
    }

    private static async Task<int> RunAsync(CliContext cli, bool keep, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("haven-demo-").FullName;
        try
        {
            var socket = Path.Combine(dir, "haven.sock");
            var configPath = Path.Combine(dir, "haven.conf");
            await File.WriteAllTextAsync(configPath, $$"""
                # A one-host Haven on the simulated transport, journal in SQLite.
                haven {
                  cluster { name = demo, node-name = demo-1, transport = simulated }
                  journal { provider = sqlite, sqlite.path = "{{Path.Combine(dir, "journal.db")}}" }
                  control.socket = "{{socket}}"
                  logging { level = information, console = off, file.path = "{{Path.Combine(dir, "haven.log")}}" }
                }
                """, ct);
            File.SetUnixFileMode(configPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Say(cli, $"1. A sample configuration in {configPath}:");
            foreach (var line in await File.ReadAllLinesAsync(configPath, ct)) cli.Out.WriteLine("     " + line);

            Say(cli, "2. `haven config check` validates it against reference.conf:");
            var check = await HavenCli.RunAsync(["config", "check", configPath], cli.Out, cli.Err, ct);
            if (check != ExitCodes.Success) return check;

            Say(cli, "3. Starting `haven daemon --config haven.conf` ...");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var settings = DaemonVerb.LoadSettings(configPath, cli);
            var daemon = Task.Run(() => DaemonHost.RunAsync(settings, configPath, stop.Token, _ => ready.TrySetResult()), CancellationToken.None);
            var first = await Task.WhenAny(ready.Task, daemon).WaitAsync(TimeSpan.FromSeconds(30), ct);
            if (first == daemon) return await daemon; // it failed to start: its error is the answer

            Say(cli, "4. `haven status` asks it over its owner-only control socket:");
            await HavenCli.RunAsync(["status", "--socket", socket], cli.Out, cli.Err, ct);
            Say(cli, "5. `haven events` lists what it journaled:");
            await HavenCli.RunAsync(["events", "--socket", socket], cli.Out, cli.Err, ct);

            Say(cli, "6. Stopping it (as SIGTERM would) ...");
            await stop.CancelAsync();
            var code = await daemon.WaitAsync(TimeSpan.FromSeconds(30), ct);
            Say(cli, code == ExitCodes.Success
                ? "Done: the daemon journaled its stop and exited cleanly."
                : $"The daemon stopped with exit code {code}.");
            return code;
        }
        finally
        {
            if (keep) cli.Out.WriteLine($"Kept {dir}");
            else Directory.Delete(dir, recursive: true);
        }
    }

    private static void Say(CliContext cli, string text)
    {
        cli.Out.WriteLine();
        cli.Out.WriteLine(text);
    }
}
