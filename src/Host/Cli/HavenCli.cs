using System.CommandLine;

namespace Haven.Host.Cli;

/// <summary>The full `haven` command line: the client verbs (HavenCli.Client.cs in src/Cli) and those that need the whole of Haven.</summary>
internal static partial class HavenCli
{
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default) =>
        // the daemon's clean stop may take longer than System.CommandLine's default 2 s after SIGTERM
        RunAsync(Build(new CliContext(output, error)), args, output, error, ct,
            parsed => parsed.CommandResult.Command.Name == "daemon" ? DaemonVerb.StopGrace : null);

    internal static RootCommand Build(CliContext cli)
    {
        var root = new RootCommand(Description);
        root.Subcommands.Add(DaemonVerb.Build(cli));
        foreach (var verb in ClientVerbs(cli, ConfigVerb.Build(cli))) root.Subcommands.Add(verb);
        root.Subcommands.Add(DemoVerb.Build(cli));
        root.Subcommands.Add(SimulateVerb.Build(cli));
        foreach (var verb in HelpVerb.OperatorVerbs(cli, root)) root.Subcommands.Add(verb);
        return root;
    }
}
