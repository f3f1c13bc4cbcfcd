using System.CommandLine;

namespace Haven.Host.Cli;

/// <summary>
/// The `haven` command line: builds the verb tree, parses, and maps every outcome to an exit code —
/// 0 success, 1 error (one line on stderr), 2 usage error.
/// </summary>
internal static class HavenCli
{
    public const string DefaultSocket = "/run/haven/haven.sock";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        var root = Build(new CliContext(output, error));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) error.WriteLine($"haven: {e.Message}");
            error.WriteLine("Try 'haven --help'.");
            return ExitCodes.Usage;
        }
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parsed.CommandResult.Command.Name == "daemon")
            config.ProcessTerminationTimeout = DaemonVerb.StopGrace; // the daemon's clean stop may take longer than the default 2 s
        try
        {
            return await parsed.InvokeAsync(config, ct);
        }
        catch (CliException e)
        {
            error.WriteLine($"haven: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
    }

    internal static RootCommand Build(CliContext cli)
    {
        var root = new RootCommand("Haven: high-availability cluster manager for hypervisor hosts, floating addresses and stateful services.");
        root.Subcommands.Add(DaemonVerb.Build(cli));
        root.Subcommands.Add(StatusVerb.Build(cli));
        root.Subcommands.Add(ClusterVerb.Build(cli));
        root.Subcommands.Add(NodeVerb.Build(cli));
        root.Subcommands.Add(MaintenanceVerb.Build(cli));
        root.Subcommands.Add(IpVerb.Build(cli));
        root.Subcommands.Add(FenceVerb.Build(cli));
        root.Subcommands.Add(VmVerb.Build(cli));
        root.Subcommands.Add(EventsVerb.Build(cli));
        root.Subcommands.Add(ConfigVerb.Build(cli));
        root.Subcommands.Add(HaVerb.Build(cli));
        root.Subcommands.Add(DemoVerb.Build(cli));
        root.Subcommands.Add(SimulateVerb.Build(cli));
        foreach (var verb in HelpVerb.OperatorVerbs(cli, root)) root.Subcommands.Add(verb);
        return root;
    }

    /// <summary>`--socket PATH`: the daemon to talk to (default /run/haven/haven.sock).</summary>
    public static Option<string> SocketOption() => new("--socket")
    {
        Description = "control socket of the daemon to talk to",
        HelpName = "PATH",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HAVEN_SOCKET") is { Length: > 0 } s ? s : DefaultSocket,
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "print JSON for scripts instead of a table" };

    /// <summary>
    /// Refuses a parsed value of <paramref name="option"/> that is not <paramref name="ok"/> with <paramref name="message"/>.
    /// The check runs only once the value parsed: one that is not a <typeparamref name="T"/> at all (<c>--after abc</c>)
    /// is already a usage error naming the option, and asking for its value would throw.
    /// </summary>
    public static void Require<T>(Option<T> option, Func<T, bool> ok, string message) =>
        option.Validators.Add(r =>
        {
            if (TryValue(r, out T value) && !ok(value)) r.AddError(message);
        });

    private static bool TryValue<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false; // not a T: the parser's own error names the option
        }
    }
}

/// <summary>Where a verb writes; tests run verbs in process with their own writers.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Err);
