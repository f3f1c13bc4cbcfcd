using System.CommandLine;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>`haven cluster status|down|leave`: the cluster as this host sees it, and the operator's actions.</summary>
internal static class ClusterVerb
{
    public static Command Build(CliContext cli)
    {
        var cmd = new Command("cluster", "the cluster as this host sees it; down a node; leave");
        cmd.Subcommands.Add(Status(cli));
        cmd.Subcommands.Add(Down(cli));
        cmd.Subcommands.Add(Leave(cli));
        return cmd;
    }

    private static Command Status(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("status", "members and their states, the DC, quorum, and this host's partition") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var view = await client.GetAsync("v1/cluster", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(view));
                return ExitCodes.Success;
            }
            Tables.KeyValues(cli.Out, [
                ("cluster", view.GetProperty("cluster").GetString() ?? ""),
                ("node", $"{view.GetProperty("node").GetString()} (id {view.GetProperty("nodeId").GetUInt32()})"),
                ("partition", view.GetProperty("partition").GetString() ?? ""),
                ("dc", view.GetProperty("dc").GetString() ?? "none"),
                ("quorate", view.GetProperty("quorate").GetBoolean() ? "yes" : "no"),
                ("events", $"{view.GetProperty("streamIndex").GetInt64()} replicated, digest {Short(view.GetProperty("digest").GetString())}"),
            ]);
            Tables.Rows(cli.Out, ["NODE", "ID", "STATE"], view.GetProperty("members").EnumerateArray()
                .Select(m => new[]
                {
                    m.GetProperty("name").GetString() ?? "", m.GetProperty("id").GetUInt32().ToString(),
                    (m.GetProperty("state").GetString() ?? "") + (m.TryGetProperty("fenceFailure", out var f) && f.GetString() is { } failure ? $" (fence failed: {failure})" : ""),
                }));
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Down(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var node = new Argument<string>("NODE") { Description = "the node to down (it is fenced before its resources move)" };
        var cmd = new Command("down", "down a node: mark it down and fence it") { node, socket };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.PostAsync("v1/cluster/down", new NodeRequest(parse.GetValue(node)), ct);
            cli.Out.WriteLine(answer.GetProperty("message").GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Leave(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var wait = new Option<bool>("--wait") { Description = "wait until the host has left (its VMs moved or stopped), polling haven cluster status" };
        var timeout = new Option<int>("--timeout") { Description = "with --wait: give up after this many seconds (exit 1; the leave goes on)", DefaultValueFactory = _ => 600 };
        HavenCli.Require(timeout, s => s is >= 1 and <= 86_400, "--timeout must be between 1 and 86400 seconds");
        var cmd = new Command("leave", "this host leaves the cluster cleanly: it releases its addresses, its VMs move or stop, then it leaves")
        {
            wait, timeout, socket,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.PostAsync("v1/cluster/leave", EmptyRequest.Instance, ct);
            cli.Out.WriteLine(answer.GetProperty("message").GetString());
            if (!parse.GetValue(wait)) return ExitCodes.Success;
            var until = DateTimeOffset.UtcNow.AddSeconds(parse.GetValue(timeout));
            while (true)
            {
                var view = await client.GetAsync("v1/cluster", ct);
                var self = view.GetProperty("node").GetString();
                var state = view.GetProperty("members").EnumerateArray()
                    .FirstOrDefault(m => m.GetProperty("name").GetString() == self).GetProperty("state").GetString();
                if (state == "left")
                {
                    cli.Out.WriteLine($"node {self} has left the cluster");
                    return ExitCodes.Success;
                }
                if (DateTimeOffset.UtcNow >= until)
                    throw new CliException($"node {self} is still {state} after {parse.GetValue(timeout)} s (haven vm list shows what still runs here); the leave goes on");
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        });
        return cmd;
    }

    internal static string Short(string? digest) => string.IsNullOrEmpty(digest) ? "-" : digest.Length > 16 ? digest[..16] : digest;
}
