using System.CommandLine;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>`haven ha enable|disable|status`: HA for the whole cluster (haven.ha.enabled, cluster-wide).</summary>
internal static class HaVerb
{
    public static Command Build(CliContext cli)
    {
        var cmd = new Command("ha", "switch high availability on or off for the whole cluster, or show it");
        cmd.Subcommands.Add(Switch(cli, "enable", true, "recover VMs of failed hosts and restart failed VMs (haven.ha.enabled = on)"));
        cmd.Subcommands.Add(Switch(cli, "disable", false, "keep watching but restart and move nothing (haven.ha.enabled = off)"));
        cmd.Subcommands.Add(Status(cli));
        return cmd;
    }

    private static Command Switch(CliContext cli, string name, bool enabled, string description)
    {
        var socket = HavenCli.SocketOption();
        var cmd = new Command(name, description) { socket };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.PostAsync("v1/ha", new HaRequest(enabled), ct);
            cli.Out.WriteLine(answer.GetProperty("message").GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Status(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("status", "whether HA is on for the cluster, and where that comes from (default or cluster)") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.GetAsync("v1/ha", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(answer));
                return ExitCodes.Success;
            }
            var row = ConfigSettingsVerbs.Row(answer.GetProperty("setting"));
            Tables.KeyValues(cli.Out, [
                ("ha", answer.GetProperty("enabled").GetBoolean() ? "enabled" : "disabled"),
                (row[0], row[1]),
                ("source", row[2]),
            ]);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
