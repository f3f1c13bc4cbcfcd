using System.CommandLine;

namespace Haven.Host.Cli;

/// <summary>
/// The `haven` command line, the half both executables hold: the verbs that ask a daemon over its control
/// socket, and the run that maps every outcome to an exit code — 0 success, 1 error (one line on stderr),
/// 2 usage error. The full assembly (src/Host) adds daemon, demo, simulate, config check, help and completion;
/// the ahead-of-time compiled client (src/Cli) runs only these and hands everything else to the full assembly.
/// </summary>
internal static partial class HavenCli
{
    public const string DefaultSocket = "/run/haven/haven.sock";

    private const string Description = "Haven: high-availability cluster manager for hypervisor hosts, floating addresses and stateful services.";

    /// <summary>Parses and runs <paramref name="args"/> on <paramref name="root"/>; <paramref name="grace"/> may lengthen the wait after SIGTERM.</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args, TextWriter output, TextWriter error, CancellationToken ct,
        Func<ParseResult, TimeSpan?>? grace = null)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) error.WriteLine($"haven: {e.Message}");
            error.WriteLine("Try 'haven --help'.");
            return ExitCodes.Usage;
        }
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (grace?.Invoke(parsed) is { } wait) config.ProcessTerminationTimeout = wait;
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

    /// <summary>The client verbs alone: what the ahead-of-time compiled `haven` runs itself.</summary>
    internal static RootCommand BuildClient(CliContext cli)
    {
        var config = new Command("config", "get, set and reset cluster-wide settings");
        foreach (var verb in ConfigSettingsVerbs.Build(cli)) config.Subcommands.Add(verb);
        var root = new RootCommand(Description);
        foreach (var verb in ClientVerbs(cli, config)) root.Subcommands.Add(verb);
        root.Subcommands.Add(HealthVerb.Build(cli));
        return root;
    }

    /// <summary>The verbs from status to ha in the order `haven --help` lists them; <paramref name="config"/> holds get, set and reset.</summary>
    internal static IEnumerable<Command> ClientVerbs(CliContext cli, Command config) =>
    [
        StatusVerb.Build(cli), ClusterVerb.Build(cli), NodeVerb.Build(cli), MaintenanceVerb.Build(cli), IpVerb.Build(cli),
        FenceVerb.Build(cli), VmVerb.Build(cli), EventsVerb.Build(cli), config, HaVerb.Build(cli),
    ];

    /// <summary>
    /// Whether the client tree runs these arguments itself: the first word is a client verb, and either that verb
    /// runs on its own (status, events, fence NODE) or the second word is one of its client subcommands
    /// (cluster status, config get). Everything else — no verb, --help, --version, daemon, config check — is the
    /// full assembly's, so its answer is the same whichever executable was started.
    /// </summary>
    internal static bool ClientRuns(RootCommand client, string[] args)
    {
        if (args.Length == 0) return false;
        var verb = client.Subcommands.FirstOrDefault(c => c.Name == args[0]);
        if (verb is null) return false;
        if (verb.Action is not null) return true;
        return args.Length > 1 && verb.Subcommands.Any(c => c.Name == args[1]);
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
