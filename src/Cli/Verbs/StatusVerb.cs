using System.CommandLine;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>`haven status [--json]`: node name, uptime, journal provider and location, events journaled.</summary>
internal static class StatusVerb
{
    public static Command Build(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("status", "show this host's daemon: node, uptime, journal, events journaled") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var status = await client.GetAsync("v1/status", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(status));
                return ExitCodes.Success;
            }
            Tables.KeyValues(cli.Out, [
                ("cluster", status.GetProperty("cluster").GetString() ?? ""),
                ("node", status.GetProperty("node").GetString() ?? ""),
                ("pid", status.GetProperty("pid").GetInt32().ToString()),
                ("version", status.GetProperty("version").GetString() ?? ""),
                ("started", status.GetProperty("startedAt").GetString() ?? ""),
                ("uptime", Tables.Duration(TimeSpan.FromSeconds(status.GetProperty("uptimeSeconds").GetDouble()))),
                ("journal", $"{status.GetProperty("journal").GetProperty("provider").GetString()} {status.GetProperty("journal").GetProperty("location").GetString()}"),
                ("events journaled", status.GetProperty("eventsJournaled").GetInt64().ToString()),
            ]);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
