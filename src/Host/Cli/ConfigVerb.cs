using System.CommandLine;
using Haven.Actors.Configuration;
using Haven.Adapters.Configuration;
using Haven.Host.Daemon;

namespace Haven.Host.Cli;

/// <summary>
/// `haven config check FILE`: parse and validate a configuration without starting anything; and the
/// cluster-wide settings (`haven config get|set|reset`, ConfigSettingsVerbs.cs).
/// </summary>
internal static class ConfigVerb
{
    public static Command Build(CliContext cli)
    {
        var cmd = new Command("config", "check a configuration file; get, set and reset cluster-wide settings");
        var file = new Argument<string>("FILE") { Description = "the configuration file to check" };
        var check = new Command("check", "check FILE as the daemon's start does: every key, type and range against reference.conf, the rules spanning settings, the files it names (secrets, SMTP password) and its permissions") { file };
        check.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            var problems = Check(path);
            foreach (var p in problems) cli.Err.WriteLine(p);
            if (problems.Count > 0)
            {
                cli.Err.WriteLine($"haven: {path}: {problems.Count} problem(s)");
                return ExitCodes.Error;
            }
            foreach (var w in Warnings(path)) cli.Out.WriteLine($"{path}: warning: {w}");
            cli.Out.WriteLine($"{path}: OK");
            return ExitCodes.Success;
        });
        cmd.Subcommands.Add(check);
        foreach (var verb in ConfigSettingsVerbs.Build(cli)) cmd.Subcommands.Add(verb);
        return cmd;
    }

    /// <summary>What a file without problems should still make its operator think about (fencing off on a corosync cluster).</summary>
    internal static IReadOnlyList<string> Warnings(string path)
    {
        var settings = HavenSettings.From(ConfigFiles.Load(path));
        return FencingConfig.LostHostsWarning(settings) is { } warning ? [warning] : [];
    }

    /// <summary>Every problem of the file, one line each, in file order; empty when it is good to run.</summary>
    internal static IReadOnlyList<string> Check(string path)
    {
        var problems = new List<string>();
        if (!File.Exists(path)) return [$"{path}: no such file"];
        try
        {
            var config = ConfigFiles.Load(path);
            problems.AddRange(StartValidation.Problems(config, Environment.MachineName).Select(p => p.ToString()));
        }
        catch (HoconException e)
        {
            problems.Add(e.Message);
        }
        catch (ConfigException e)
        {
            problems.Add(e.Message);
        }
        return problems;
    }
}
