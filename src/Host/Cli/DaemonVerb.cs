using System.CommandLine;
using Haven.Actors.Configuration;
using Haven.Adapters.Configuration;
using Haven.Host.Daemon;

namespace Haven.Host.Cli;

/// <summary>`haven daemon --config FILE`: run this host until SIGTERM.</summary>
internal static class DaemonVerb
{
    public const string DefaultConfig = "/etc/haven/haven.conf";

    /// <summary>
    /// How long the process waits after SIGTERM/SIGINT for the daemon's clean stop (shutdown scripts,
    /// journaling the stop, the host's own shutdown) before it exits anyway. The stop bounds itself;
    /// this is only the last resort for a hung one, so it is far above System.CommandLine's 2 s default,
    /// which cut a clean stop short whenever it took longer (a shutdown script, a loaded machine).
    /// </summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromMinutes(5);

    public static Command Build(CliContext cli)
    {
        var config = new Option<string>("--config", "-c")
        {
            Description = "configuration file",
            HelpName = "FILE",
            DefaultValueFactory = _ => DefaultConfig,
        };
        var newJournal = new Option<bool>("--new-journal")
        {
            Description = "start even though the SQLite journal file exists but is empty (0 bytes), beginning a fresh journal; refused otherwise",
        };
        var cmd = new Command("daemon", "run Haven on this host (foreground; stop with SIGTERM)") { config, newJournal };
        cmd.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(config)!;
            var settings = LoadSettings(path, cli);
            if (parse.GetValue(newJournal)) settings = settings with { Journal = settings.Journal with { AcceptEmptyFile = true } };
            return await DaemonHost.RunAsync(settings, path, ct);
        });
        return cmd;
    }

    /// <summary>Reads, checks and types the configuration; any problem stops the start with every reason listed.</summary>
    /// <param name="transportSupplied">a test supplies the transport itself (DaemonOverrides): the one-host rule of
    /// the simulated transport does not apply to it.</param>
    internal static HavenSettings LoadSettings(string path, CliContext cli, bool transportSupplied = false)
    {
        if (!File.Exists(path)) throw new CliException($"config file {path} not found");
        Haven.Actors.Configuration.Config loaded;
        try
        {
            loaded = ConfigFiles.Load(path);
        }
        catch (Exception e) when (e is HoconException or ConfigException)
        {
            throw new CliException(e.Message);
        }
        var problems = StartValidation.Problems(loaded, Environment.MachineName, transportSupplied);
        if (problems.Count == 1) throw new CliException($"{problems[0]} (config file {path}); nothing started");
        if (problems.Count > 0)
        {
            foreach (var p in problems) cli.Err.WriteLine(p);
            throw new CliException($"config file {path} has {problems.Count} problem(s); nothing started");
        }
        return HavenSettings.From(loaded);
    }
}
