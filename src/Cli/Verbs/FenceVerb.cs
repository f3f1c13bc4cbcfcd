using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>Where `haven fence NODE` asks for confirmation; tests give their own.</summary>
internal interface IConfirmTerminal
{
    /// <summary>Whether there is a person to ask (stdin is a terminal).</summary>
    bool IsTerminal { get; }

    /// <summary>Shows the prompt and reads the answer (null at end of input).</summary>
    string? Ask(string prompt);
}

/// <summary>
/// `haven fence NODE [--action off|on|reboot] [--yes]`, `haven fence list|check|history [--json]`:
/// the operator's fence through the daemon's fencer, and the devices, their health and the history.
/// A node named list, check or history cannot be fenced by name (the subcommand wins).
/// </summary>
internal static class FenceVerb
{
    public static Command Build(CliContext cli) => Build(cli, ConsoleTerminal.Instance);

    internal static Command Build(CliContext cli, IConfirmTerminal terminal)
    {
        var socket = HavenCli.SocketOption();
        var node = new Argument<string?>("NODE") { Description = "the node to fence", Arity = ArgumentArity.ZeroOrOne };
        var action = new Option<string>("--action") { Description = "what to do to the node", HelpName = "off|on|reboot", DefaultValueFactory = _ => "off" };
        action.AcceptOnlyFromAmong("off", "on", "reboot");
        var yes = new Option<bool>("--yes", "-y") { Description = "do not ask for confirmation" };
        var cmd = new Command("fence", "fence a node through this daemon's fencing topology; list, check and history of the devices") { node, socket, action, yes };
        cmd.Subcommands.Add(List(cli));
        cmd.Subcommands.Add(Check(cli));
        cmd.Subcommands.Add(History(cli));
        cmd.Subcommands.Add(Confirm(cli, terminal));
        cmd.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(node);
            var what = parse.GetValue(action)!;
            if (string.IsNullOrEmpty(target))
                throw new CliException("fence needs a NODE, or one of list, check, history (see 'haven fence --help')", ExitCodes.Usage);
            if (!parse.GetValue(yes) && !terminal.IsTerminal)
                throw new CliException($"refusing to fence {target} without --yes: no terminal to confirm on");
            using var client = new ControlClient(parse.GetValue(socket)!);
            // Fencing the host the daemon runs on switches off this very machine: say so, whether asked or not.
            var self = (await client.GetAsync("v1/status", ct)).GetProperty("node").GetString();
            var warning = target == self ? $"{target} is THIS host (the daemon at {client.SocketPath} runs on it): fencing it switches off the machine you are on" : null;
            if (!parse.GetValue(yes))
                AskToType(terminal, target, $"fence {target}", $"not fencing {target}",
                    $"Fence {target} ({what})? {(warning is null ? "" : $"WARNING: {warning}. ")}This cuts it off from the cluster. Type the node name to confirm: ");
            else if (warning is not null)
                cli.Err.WriteLine($"haven: warning: {warning}");
            // No client-side limit: the daemon bounds every device call by its timeout and retries.
            var result = await client.PostAsync("v1/fence", new FenceRequest(target, what), ct, Timeout.InfiniteTimeSpan);
            cli.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fenced {target} ({what}) via {result.GetProperty("device").GetString()} in {result.GetProperty("durationSeconds").GetDouble():0.###} s: {result.GetProperty("detail").GetString()}"));
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>`haven fence confirm NODE --reason TEXT [--yes]`: Pacemaker's stonith_admin --confirm, through the DC.</summary>
    private static Command Confirm(CliContext cli, IConfirmTerminal terminal)
    {
        var socket = HavenCli.SocketOption();
        var node = new Argument<string>("NODE") { Description = "the node that is off" };
        var reason = new Option<string>("--reason") { Description = "why it is known to be off (journaled)", HelpName = "TEXT", Required = true };
        var yes = new Option<bool>("--yes", "-y") { Description = "do not ask for confirmation" };
        var cmd = new Command("confirm",
            "state that NODE is off (powered off or unplugged by hand): it counts as fenced and its resources move; refused for a member") { node, reason, socket, yes };
        cmd.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(node)!;
            var why = parse.GetValue(reason)!;
            if (Haven.Actors.Cluster.FenceConfirmed.ReasonProblem(why) is { } bad) throw new CliException(bad, ExitCodes.Usage);
            if (!parse.GetValue(yes))
                AskToType(terminal, target, $"confirm {target} off", $"not confirming {target} off",
                    $"Confirm that {target} is OFF? Haven takes your word: its addresses and VMs start elsewhere, and run twice if it is not off. Type the node name to confirm: ");
            using var client = new ControlClient(parse.GetValue(socket)!);
            var result = await client.PostAsync("v1/fence/confirm", new FenceConfirmRequest(target, why), ct);
            cli.Out.WriteLine(result.GetProperty("message").GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>Asks the operator to type <paramref name="target"/>; throws when there is no terminal or the answer differs.</summary>
    private static void AskToType(IConfirmTerminal terminal, string target, string what, string notDoing, string prompt)
    {
        if (!terminal.IsTerminal)
            throw new CliException($"refusing to {what} without --yes: no terminal to confirm on");
        var answer = terminal.Ask(prompt);
        if (!string.Equals(answer?.Trim(), target, StringComparison.Ordinal))
            throw new CliException($"{notDoing}: not confirmed");
    }

    private static Command List(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("list", "the fence devices (name, type, address; never secrets) and each host's fencing levels") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var view = await client.GetAsync("v1/fence", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(view));
                return ExitCodes.Success;
            }
            cli.Out.WriteLine(view.GetProperty("enabled").GetBoolean()
                ? $"fencing on, action {view.GetProperty("action").GetString()}"
                : "fencing off (haven.fencing.enabled = off)");
            Tables.Rows(cli.Out, ["DEVICE", "TYPE", "ADDRESS"], view.GetProperty("devices").EnumerateArray()
                .Select(d => new[] { Text(d, "name"), Text(d, "type"), Text(d, "address") }));
            Tables.Rows(cli.Out, ["HOST", "LEVEL", "DEVICES"], view.GetProperty("topology").EnumerateArray()
                .SelectMany(h => h.GetProperty("levels").EnumerateArray().Select((level, i) => new[]
                {
                    Text(h, "host"), (i + 1).ToString(CultureInfo.InvariantCulture),
                    string.Join(" + ", level.EnumerateArray().Select(d => d.GetString())),
                })));
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Check(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("check", "query every fence device's status; exit 0 when all are OK, 1 otherwise") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            // The daemon bounds each device's check by the device timeout.
            var checks = await client.GetAsync("v1/fence/check", ct, Timeout.InfiniteTimeSpan);
            var all = checks.EnumerateArray().ToList();
            if (parse.GetValue(json))
                cli.Out.WriteLine(ControlJson.Pretty(checks));
            else
                foreach (var c in all)
                    cli.Out.WriteLine($"{(c.GetProperty("ok").GetBoolean() ? "OK   " : "ERROR")} {Text(c, "name")} ({Text(c, "type")}): {Text(c, "detail")}");
            return all.All(c => c.GetProperty("ok").GetBoolean()) ? ExitCodes.Success : ExitCodes.Error;
        });
        return cmd;
    }

    private static Command History(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("history", "the fence attempts this daemon made since it started, oldest first") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var history = await client.GetAsync("v1/fence/history", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(history));
                return ExitCodes.Success;
            }
            Tables.Rows(cli.Out, ["AT", "NODE", "OUTCOME", "DETAIL"], history.EnumerateArray().Select(r => new[]
            {
                Text(r, "at"), Text(r, "node"), Text(r, "kind"), Detail(r),
            }));
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static string Detail(JsonElement r) => Text(r, "kind") switch
    {
        "requested" => $"{Text(r, "action")}: {Text(r, "reason")}",
        "succeeded" => string.Create(CultureInfo.InvariantCulture,
            $"via {Text(r, "device")} (level {r.GetProperty("level").GetInt32()}) in {r.GetProperty("durationSeconds").GetDouble():0.###} s"),
        "failed" => string.Create(CultureInfo.InvariantCulture, $"after {r.GetProperty("durationSeconds").GetDouble():0.###} s: {Text(r, "reason")}"),
        _ => "",
    };

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";

    /// <summary>The process's own terminal: stdin must not be redirected; the prompt goes to stderr.</summary>
    private sealed class ConsoleTerminal : IConfirmTerminal
    {
        public static readonly ConsoleTerminal Instance = new();

        public bool IsTerminal => !Console.IsInputRedirected;

        public string? Ask(string prompt)
        {
            Console.Error.Write(prompt);
            return Console.ReadLine();
        }
    }
}
