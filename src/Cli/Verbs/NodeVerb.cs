using System.CommandLine;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>`haven node standby|unstandby NODE`: a standby node stays a member, gives its addresses and VMs away and takes nothing.</summary>
internal static class NodeVerb
{
    public static Command Build(CliContext cli)
    {
        var cmd = new Command("node", "put a node into standby (it gives its resources away) or take it out");
        cmd.Subcommands.Add(Mode(cli, "standby", "v1/nodes/standby", "the node goes to standby: it stays a member, its addresses and VMs move to other hosts, it takes nothing"));
        cmd.Subcommands.Add(Mode(cli, "unstandby", "v1/nodes/unstandby", "the node leaves standby and may take resources again"));
        return cmd;
    }

    private static Command Mode(CliContext cli, string name, string path, string description)
    {
        var socket = HavenCli.SocketOption();
        var node = new Argument<string>("NODE") { Description = "the node, by its name in haven.cluster.nodes" };
        var cmd = new Command(name, description) { node, socket };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.PostAsync(path, new NodeRequest(parse.GetValue(node)), ct);
            cli.Out.WriteLine(answer.GetProperty("message").GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }
}

/// <summary>
/// `haven maintenance on|off [--node NODE]`: Haven stops acting on a node in maintenance — it is never fenced and
/// nothing on it moves. Without --node, every node of the cluster.
/// </summary>
internal static class MaintenanceVerb
{
    public static Command Build(CliContext cli)
    {
        var cmd = new Command("maintenance", "maintenance mode for one node or the whole cluster: nothing is fenced or moved");
        cmd.Subcommands.Add(Mode(cli, "on", "v1/maintenance/on", "enter maintenance: Haven stops acting on the node(s); they are never fenced and nothing on them moves"));
        cmd.Subcommands.Add(Mode(cli, "off", "v1/maintenance/off", "leave maintenance: a node that is no longer a member is then treated as lost (downed and fenced)"));
        return cmd;
    }

    private static Command Mode(CliContext cli, string name, string path, string description)
    {
        var socket = HavenCli.SocketOption();
        var node = new Option<string?>("--node") { Description = "only this node (default: every node of the cluster)", HelpName = "NODE" };
        var cmd = new Command(name, description) { node, socket };
        cmd.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(node);
            if (target is { Length: 0 }) throw new CliException("--node needs a node name", ExitCodes.Usage);
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.PostAsync(path, new NodeRequest(target), ct);
            cli.Out.WriteLine(answer.GetProperty("message").GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }
}
