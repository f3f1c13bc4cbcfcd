using System.CommandLine;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>`haven ip list [--json]`, `haven ip move ADDRESS NODE`: the floating addresses and where they are; CTDB's moveip.</summary>
internal static class IpVerb
{
    public static Command Build(CliContext cli)
    {
        var cmd = new Command("ip", "the floating (public) addresses: where each is held; move one to another node");
        cmd.Subcommands.Add(List(cli));
        cmd.Subcommands.Add(Move(cli));
        return cmd;
    }

    private static Command List(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("list", "every public address: interface, holder, and held / unassigned / the holder's state when it is not up") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var ips = await client.GetAsync("v1/ips", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(ips));
                return ExitCodes.Success;
            }
            var rows = ips.EnumerateArray().Select(a => new[] { Text(a, "address"), Text(a, "interface"), Text(a, "node") is { Length: > 0 } n ? n : "-", Text(a, "state") }).ToList();
            if (rows.Count == 0)
            {
                cli.Out.WriteLine("no public addresses (haven.ips.public-addresses is empty)");
                return ExitCodes.Success;
            }
            Tables.Rows(cli.Out, ["ADDRESS", "INTERFACE", "NODE", "STATE"], rows);
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Move(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var address = new Argument<string>("ADDRESS") { Description = "the public address (A.B.C.D, with or without /NN)" };
        var node = new Argument<string>("NODE") { Description = "the node to move it to (must be up)" };
        var cmd = new Command("move", "move a public address to a node: released by its holder, then taken there") { address, node, socket };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.PostAsync("v1/ips/move", new MoveRequest(parse.GetValue(address), parse.GetValue(node)), ct);
            cli.Out.WriteLine(answer.GetProperty("message").GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
}
