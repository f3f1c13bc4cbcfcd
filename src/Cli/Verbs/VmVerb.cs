using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Haven.Actors.Placement;
using Haven.Actors.Vms;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>
/// `haven vm list|locate|explain|start|stop|enable|disable|migrate|clear|cleanup|manage|unmanage|ha|add|remove`: the managed VMs as the
/// local daemon's replicated state has them, and the operator's VM commands (carried out by the cluster).
/// </summary>
internal static class VmVerb
{
    public static Command Build(CliContext cli)
    {
        var cmd = new Command("vm", "managed VMs: list, locate, explain placement, start, stop, enable, disable, migrate, clear, HA, add, remove, cleanup, manage, unmanage");
        cmd.Subcommands.Add(List(cli));
        cmd.Subcommands.Add(Locate(cli));
        cmd.Subcommands.Add(Explain(cli));
        foreach (var (verb, what) in new[]
                 {
                     ("start", "start the VM (also forgets hosts that gave up on it)"), ("stop", "stop the VM: graceful, then forced"),
                     ("enable", "let the cluster run the VM again"), ("disable", "stop the VM and keep it stopped"),
                     ("manage", "let the cluster start, stop and move the VM again"),
                     ("unmanage", "leave the VM exactly as it is: the cluster neither starts, stops nor moves it (Pacemaker's is-managed=false)"),
                     ("clear", "drop the move preference `vm migrate` left, so that placement may move the VM again (crm_resource --clear)"),
                 })
            cmd.Subcommands.Add(Simple(cli, verb, what));
        cmd.Subcommands.Add(Remove(cli));
        cmd.Subcommands.Add(Migrate(cli));
        cmd.Subcommands.Add(Cleanup(cli));
        cmd.Subcommands.Add(Ha(cli));
        cmd.Subcommands.Add(Add(cli));
        return cmd;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "the VM ([-.A-Z0-9]{3,}, case-insensitive)" };

    private static Command List(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("list", "every managed VM: where it runs, its state, what is wanted, HA") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var vms = await client.GetAsync("v1/vms", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(vms));
                return ExitCodes.Success;
            }
            Tables.Rows(cli.Out, ["VM", "NODE", "STATE", "DESIRED", "HA"], vms.EnumerateArray().Select(v => new[]
            {
                v.GetProperty("name").GetString() ?? "", v.GetProperty("node").GetString() ?? "-", v.GetProperty("state").GetString() ?? "",
                v.GetProperty("desired").GetString() ?? "", v.GetProperty("ha").GetBoolean() ? "on" : "off",
            }));
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Locate(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var name = NameArgument();
        var cmd = new Command("locate", "where the VM runs (or why it runs nowhere)") { name, socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var vm = await client.GetAsync($"v1/vms/{Uri.EscapeDataString(parse.GetValue(name)!)}", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(vm));
                return ExitCodes.Success;
            }
            var node = vm.GetProperty("node").GetString();
            var target = vm.GetProperty("target").GetString();
            var reason = vm.GetProperty("reason").GetString();
            cli.Out.WriteLine($"{vm.GetProperty("name").GetString()}: {vm.GetProperty("state").GetString()}"
                              + (node is null ? " (runs nowhere)" : $" on {node}") + (target is null ? "" : $" → {target}")
                              + (string.IsNullOrEmpty(reason) ? "" : $": {reason}")
                              + (vm.TryGetProperty("managed", out var managed) && !managed.GetBoolean() ? " (unmanaged)" : ""));
            if (vm.TryGetProperty("lockedTo", out var lockedTo) && lockedTo.GetString() is { } lockNode)
                cli.Out.WriteLine($"locked to {lockNode} by shutdown-lock since {vm.GetProperty("lockedSince").GetString()} until "
                                  + (vm.TryGetProperty("lockedUntil", out var until) && until.GetString() is { } end ? end : $"{lockNode} is back")
                                  + " (`haven vm cleanup` releases it)");
            if (vm.TryGetProperty("multipleActive", out var multiple) && multiple.GetString() is { } ma && ma != "stop_start")
                cli.Out.WriteLine($"multiple-active: {ma}");
            if (vm.TryGetProperty("onFail", out var onFail) && onFail.GetString() is { Length: > 0 } policy)
                cli.Out.WriteLine($"on-fail: {policy}");
            if (vm.TryGetProperty("failCounts", out var counts) && counts.EnumerateObject().Any())
                cli.Out.WriteLine("fail counts: " + string.Join(", ", counts.EnumerateObject().Select(c => $"{c.Name} {c.Value.GetProperty("count").GetInt32()}")));
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Explain(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var name = NameArgument();
        var cmd = new Command("explain", "the placement scores and rules that put the VM where it is") { name, socket };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.GetAsync($"v1/vms/{Uri.EscapeDataString(parse.GetValue(name)!)}/explain", ct);
            foreach (var line in answer.GetProperty("lines").EnumerateArray()) cli.Out.WriteLine(line.GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Simple(CliContext cli, string verb, string description)
    {
        var socket = HavenCli.SocketOption();
        var name = NameArgument();
        var cmd = new Command(verb, description) { name, socket };
        cmd.SetAction((parse, ct) => Post(cli, parse.GetValue(socket)!, $"v1/vms/{Uri.EscapeDataString(parse.GetValue(name)!)}/{verb}", EmptyRequest.Instance, ct));
        return cmd;
    }

    private static Command Remove(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var name = NameArgument();
        var force = new Option<bool>("--force")
        {
            Description = "remove it even where it may still run (blocked after a failed stop, unmanaged): it is forgotten, not stopped; a host that still finds it running forces it off",
        };
        var cmd = new Command("remove", "stop managing a VM that runs nowhere") { name, force, socket };
        cmd.SetAction((parse, ct) => Post(cli, parse.GetValue(socket)!, $"v1/vms/{Uri.EscapeDataString(parse.GetValue(name)!)}/remove",
            new RemoveRequest(parse.GetValue(force)), ct));
        return cmd;
    }

    private static Command Migrate(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var name = NameArgument();
        var node = new Argument<string>("NODE") { Description = "the node to live-migrate the VM to" };
        var cmd = new Command("migrate", "live-migrate a running VM to another node; it stays there (preferred with INFINITY) until `haven vm clear` (crm_resource --move)") { name, node, socket };
        cmd.SetAction((parse, ct) => Post(cli, parse.GetValue(socket)!, $"v1/vms/{Uri.EscapeDataString(parse.GetValue(name)!)}/migrate",
            new NodeRequest(parse.GetValue(node)), ct));
        return cmd;
    }

    private static Command Cleanup(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var name = NameArgument();
        var node = new Option<string?>("--node") { Description = "only this node's fail count (default: every node)", HelpName = "N" };
        var cmd = new Command("cleanup", "forget the VM's fail counts, so that it may run there again, and release a shutdown-lock (crm_resource --cleanup)") { name, node, socket };
        cmd.SetAction((parse, ct) => Post(cli, parse.GetValue(socket)!, $"v1/vms/{Uri.EscapeDataString(parse.GetValue(name)!)}/cleanup",
            new NodeRequest(parse.GetValue(node)), ct));
        return cmd;
    }

    private static Command Ha(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var name = NameArgument();
        var onOff = new Argument<string>("on|off") { Description = "whether the cluster keeps the VM running (recovers and moves it)" };
        onOff.AcceptOnlyFromAmong("on", "off");
        var cmd = new Command("ha", "the VM's HA flag") { name, onOff, socket };
        cmd.SetAction((parse, ct) => Post(cli, parse.GetValue(socket)!, $"v1/vms/{Uri.EscapeDataString(parse.GetValue(name)!)}/ha",
            new HaRequest(parse.GetValue(onOff) == "on"), ct));
        return cmd;
    }

    private static Command Add(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var name = NameArgument();
        var hypervisor = new Option<string>("--hypervisor") { Description = "libvirt, xen, openvz or process", HelpName = "KIND", Required = true };
        hypervisor.AcceptOnlyFromAmong([.. VmSpecRules.Hypervisors]);
        var config = new Option<string>("--config")
        {
            Description = "libvirt: the domain XML file; xen: uuid or name-label; openvz: CTID; process: the command line", HelpName = "CONFIG", Required = true,
        };
        var cpu = new Option<long>("--cpu") { Description = "cpu utilization (cores)", HelpName = "N" };
        var memory = new Option<long>("--memory") { Description = "memory utilization (MiB)", HelpName = "MIB" };
        var prefer = new Option<string[]>("--prefer") { Description = "a node preference, repeatable (-1000000 bans the node)", HelpName = "NODE=SCORE", AllowMultipleArgumentsPerToken = false };
        var migrate = new Option<bool>("--allow-migrate") { Description = "the VM may be live-migrated" };
        var priority = new Option<int>("--priority") { Description = "placement priority (higher first when capacity is short)", HelpName = "N" };
        var noHa = new Option<bool>("--no-ha") { Description = "the cluster never starts, moves or recovers it" };
        var stopped = new Option<bool>("--stopped") { Description = "register it stopped" };
        var with = new Option<string[]>("--with") { Description = "a VM to run with on the same node, repeatable (score INFINITY unless given)", HelpName = "VM[=SCORE]", AllowMultipleArgumentsPerToken = false };
        var apart = new Option<string[]>("--apart") { Description = "a VM never to share a node with, repeatable (score INFINITY unless given)", HelpName = "VM[=SCORE]", AllowMultipleArgumentsPerToken = false };
        var group = new Option<string>("--group") { Description = "appliance group: its VMs start in order", HelpName = "NAME" };
        var order = new Option<int>("--order") { Description = "start order in the group (lower first)", HelpName = "N" };
        var delay = new Option<string>("--start-delay") { Description = "wait this long after the group's lower orders run (e.g. 10s, 2m)", HelpName = "DURATION" };
        var onFail = new Option<string[]>("--on-fail")
        {
            Description = "what a failed operation leads to (Pacemaker's on-fail), repeatable: OP start|monitor|stop, ACTION ignore|block|stop|restart|fence|standby (stop: block or fence)",
            HelpName = "OP=ACTION", AllowMultipleArgumentsPerToken = false,
        };
        var multipleActive = new Option<string>("--multiple-active")
        {
            Description = "when a second copy is found running (Pacemaker's multiple-active; that copy is always forced off): stop_start (default) restarts the VM, stop_only stops it, block leaves it unmanaged",
            HelpName = "stop_start|stop_only|block",
        };
        var cmd = new Command("add", "register a VM with the cluster")
        {
            name, hypervisor, config, cpu, memory, prefer, migrate, priority, noHa, stopped, with, apart, group, order, delay, onFail, multipleActive, socket,
        };
        cmd.SetAction((parse, ct) =>
        {
            var preferences = (parse.GetValue(prefer) ?? []).Select(ParsePreference).ToList();
            var spec = new VmSpec(VmSpecRules.Canonical(parse.GetValue(name)!), parse.GetValue(hypervisor)!, parse.GetValue(config)!,
                parse.GetValue(cpu), parse.GetValue(memory), [.. preferences], parse.GetValue(migrate), parse.GetValue(priority), !parse.GetValue(noHa))
            {
                With = [.. (parse.GetValue(with) ?? []).Select(t => ParseConstraint("--with", t))],
                Apart = [.. (parse.GetValue(apart) ?? []).Select(t => ParseConstraint("--apart", t))],
                Group = parse.GetValue(group) is { } g ? VmSpecRules.Canonical(g) : null,
                Order = parse.GetValue(order),
                StartDelay = parse.GetValue(delay) is { } d ? ParseDelay(d) : TimeSpan.Zero,
            };
            var onFails = parse.GetValue(onFail) ?? [];
            var policy = VmOnFailPolicy.Default;
            foreach (var text in onFails)
                if (VmSpecRules.ParseOnFail(text, ref policy) is { } wrong) throw new CliException(wrong, ExitCodes.Usage);
            var multiple = parse.GetValue(multipleActive);
            spec = spec with
            {
                OnFail = policy,
                MultipleActive = multiple is null ? VmMultipleActive.StopStart : VmMultipleActiveNames.Parse(multiple)
                    ?? throw new CliException($"--multiple-active '{multiple}' is not stop_start, stop_only or block", ExitCodes.Usage),
            };
            if ((VmSpecRules.Check(spec) ?? VmSpecRules.CheckNodeNames(spec) ?? VmSpecRules.CheckHypervisorConfig(spec)) is { } bad) throw new CliException(bad, ExitCodes.Usage);
            if (spec.Hypervisor == "libvirt" && VmConfigChecks.CheckLibvirt(spec.Config) is { } file)
                throw new CliException($"VM {spec.Name}: {file}", ExitCodes.Usage);
            return Post(cli, parse.GetValue(socket)!, "v1/vms", new AddVmRequest(spec.Name, spec.Hypervisor, spec.Config, spec.Cpu, spec.Memory,
                [.. preferences.Select(p => new PreferenceRequest(p.Node, p.Score))], spec.AllowMigrate, spec.Priority, spec.Ha, parse.GetValue(stopped),
                [.. spec.With.Select(c => new ConstraintRequest(c.Vm, c.Score))], [.. spec.Apart.Select(c => new ConstraintRequest(c.Vm, c.Score))],
                spec.Group, spec.Order, spec.StartDelay.TotalSeconds, onFails.Length == 0 ? null : onFails,
                multiple is null ? null : VmMultipleActiveNames.Name(spec.MultipleActive)), ct);
        });
        return cmd;
    }

    private static NodePreference ParsePreference(string text)
    {
        var eq = text.LastIndexOf('=');
        if (eq <= 0 || !int.TryParse(text[(eq + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var score))
            throw new CliException($"--prefer '{text}' is not NODE=SCORE (e.g. --prefer node2=100)", ExitCodes.Usage);
        return new NodePreference(text[..eq], score);
    }

    /// <summary>VM or VM=SCORE (1..1000000, or INFINITY).</summary>
    private static VmConstraint ParseConstraint(string option, string text)
    {
        var eq = text.LastIndexOf('=');
        if (eq < 0) return new VmConstraint(VmSpecRules.Canonical(text));
        var value = text[(eq + 1)..].Trim();
        if (eq == 0 || !(value.Equals("INFINITY", StringComparison.OrdinalIgnoreCase) || value.Equals("+INFINITY", StringComparison.OrdinalIgnoreCase)
                         || int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            throw new CliException($"{option} '{text}' is not VM or VM=SCORE (e.g. {option} db-01 or {option} db-01=200)", ExitCodes.Usage);
        var score = int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) ? s : PlacementScores.Infinity;
        return new VmConstraint(VmSpecRules.Canonical(text[..eq]), score);
    }

    /// <summary>A duration: 10s, 2m, 1h, 500ms or plain seconds.</summary>
    private static TimeSpan ParseDelay(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        var (number, unit) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0) : t.EndsWith('m') ? (t[..^1], 60.0) : t.EndsWith('h') ? (t[..^1], 3600.0) : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            throw new CliException($"--start-delay '{text}' is not a duration (e.g. 10s, 2m, 500ms)", ExitCodes.Usage);
        return TimeSpan.FromSeconds(value * unit);
    }

    private static async Task<int> Post<T>(CliContext cli, string socket, string path, T body, CancellationToken ct)
    {
        using var client = new ControlClient(socket);
        var answer = await client.PostAsync(path, body, ct);
        cli.Out.WriteLine(answer.GetProperty("message").GetString());
        return ExitCodes.Success;
    }
}
