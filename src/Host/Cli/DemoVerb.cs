using System.CommandLine;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Vms;
using Haven.Host.Daemon;
using Haven.Host.Demo;

namespace Haven.Host.Cli;

/// <summary>
/// `haven demo`: a narrated three-host cluster (form, place HA VMs, partition, resolver decision, fencing,
/// CTDB-style recovery of addresses and VMs, rejoin with identical journals), then a one-host daemon asked over its control socket.
/// Everything lives in a temporary folder, removed afterwards. Needs no terminal input.
/// </summary>
internal static class DemoVerb
{
    public static Command Build(CliContext cli)
    {
        var keep = new Option<bool>("--keep") { Description = "keep the temporary folder (config, journal, log) for a look afterwards" };
        var cmd = new Command("demo", "run a narrated demonstration in a temporary folder") { keep };
        cmd.SetAction(async (parse, ct) => await RunAsync(cli, parse.GetValue(keep), ct));
        return cmd;
    }

    private static async Task<int> RunAsync(CliContext cli, bool keep, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("haven-demo-").FullName;
        try
        {
            var code = await ClusterStoryAsync(cli, dir);
            if (code != ExitCodes.Success) return code;
            return await DaemonTourAsync(cli, dir, ct);
        }
        finally
        {
            if (keep) cli.Out.WriteLine($"Kept {dir}");
            else Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Part 1: three hosts form, one is cut off, the resolver decides, the DC fences and recovers, the host rejoins.</summary>
    private static async Task<int> ClusterStoryAsync(CliContext cli, string dir)
    {
        cli.Out.WriteLine("Part 1: a three-host cluster (n1, n2, n3) with three floating addresses and four HA VMs,");
        cli.Out.WriteLine($"        simulated network, a fake hypervisor per host, real ClusterActors, SQLite journals in {dir}, virtual time.");
        await using var demo = await ClusterDemo.CreateAsync(dir, cli.Out);

        Say(cli, "1. The hosts start and form the cluster; the DC places the HA VMs by their preferences:");
        demo.StartAll();
        demo.Run(TimeSpan.FromSeconds(8));
        Snapshot(cli, demo);
        VmTable(cli, demo);

        Say(cli, "2. n3's link is cut: {n1,n2} | {n3}. Each side waits stable-after, then runs keep-majority:");
        var before = (await demo[1].ReplicatedAsync()).Count;
        var startsBefore = demo.Starts.Count;
        demo.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
        demo.Run(TimeSpan.FromSeconds(8));
        Say(cli, "   The replicated events the DC (n1) decided and journaled, in order (CTDB's recovery sequence):");
        foreach (var e in (await demo[1].ReplicatedAsync()).Skip(before)) cli.Out.WriteLine("     " + Line(e));
        Snapshot(cli, demo);
        VmTable(cli, demo);
        var recovered = demo.Starts.Skip(startsBefore).Select(s => s.Vm).FirstOrDefault();
        if (recovered is not null && demo[1].View is { } dcView && dcView.State.Vms.ContainsKey(recovered))
        {
            Say(cli, $"   `haven vm explain {recovered}` on the DC: why it went where it did:");
            foreach (var l in VmRecovery.Explain(dcView.State, [.. dcView.Members.Select(m => m.Id)], demo[1].Vms!, recovered)) cli.Out.WriteLine("     " + l);
        }

        Say(cli, "3. The link is repaired and n3 is powered on again; it rejoins and syncs the events it missed:");
        demo.Network.Heal();
        demo[3].PowerOn();
        demo.Run(TimeSpan.FromSeconds(8));
        Snapshot(cli, demo);
        Say(cli, "   The VMs at the end (the fenced host came back empty; stickiness keeps the VMs where they run):");
        VmTable(cli, demo);
        var once = DemoHypervisor.Vms.All(v => demo.RunningOn(v.Vm.Name).Count() == 1) && demo.Violations.Count == 0;
        Say(cli, once
            ? $"   Every VM runs exactly once; {demo.Starts.Count} starts in all, none while the VM still ran on another host."
            : "   A VM runs twice or not at all — this is a bug; please report it with this output.");
        var digests = demo.Hosts.Select(h => h.View?.StreamDigest ?? "").Distinct().ToList();
        var identical = digests.Count == 1 && demo.Hosts.All(h => h.View?.Role == PartitionRole.Primary);
        Say(cli, identical
            ? $"   All three journals are identical: {demo[1].View!.StreamIndex} replicated events, digest {digests[0][..16]}"
            : "   The journals differ — this is a bug; please report it with this output.");
        return identical && once ? ExitCodes.Success : ExitCodes.Error;
    }

    /// <summary>The VMs as the DC's replicated state has them, and where the hosts' hypervisors really run them.</summary>
    private static void VmTable(CliContext cli, ClusterDemo demo)
    {
        var state = demo.Hosts.FirstOrDefault(h => h.View is { Role: PartitionRole.Primary } v && v.Dc == h.Member.Id)?.View?.State;
        Tables.Rows(cli.Out, ["VM", "PREFERS", "STATE (DC)", "ON (DC)", "RUNNING ON (hypervisors)"], DemoHypervisor.Vms.Select(v =>
        {
            var info = state?.Vms.GetValueOrDefault(v.Vm.Name);
            return new[]
            {
                v.Vm.Name,
                string.Join(" ", v.Vm.Preferences.Select(p => $"{p.Node}:{p.Score}")),
                info?.State.ToString().ToLowerInvariant() ?? "-",
                info?.Node is { } n ? state!.Nodes[n].Name : "-",
                string.Join(" ", demo.RunningOn(v.Vm.Name)) is { Length: > 0 } on ? on : "-",
            };
        }));
    }

    private static void Snapshot(CliContext cli, ClusterDemo demo)
    {
        Tables.Rows(cli.Out, ["HOST", "PARTITION", "DC", "EVENTS", "ADDRESSES HELD"], demo.Hosts.Select(h => new[]
        {
            h.Member.Name,
            h.Running ? h.View?.Role.ToString().ToLowerInvariant() ?? "starting" : "powered off",
            h.View?.Dc is { } dc ? $"n{dc.Value}" : "-",
            h.View?.StreamIndex.ToString() ?? "-",
            string.Join(" ", h.Addresses),
        }));
    }

    private static string Line(Haven.Actors.Persistence.JournalEntry e) =>
        $"{e.Manifest.Replace("cluster.", "").Replace(".v1", ""),-16} {System.Text.Encoding.UTF8.GetString(e.Payload)}";

    /// <summary>Part 2: a real daemon from a sample config, asked over its control socket.</summary>
    private static async Task<int> DaemonTourAsync(CliContext cli, string dir, CancellationToken ct)
    {
        cli.Out.WriteLine();
        cli.Out.WriteLine("Part 2: a one-host daemon, as `haven daemon --config FILE` runs it, asked over its control socket.");
        var socket = Path.Combine(dir, "haven.sock");
        var configPath = Path.Combine(dir, "haven.conf");
        await File.WriteAllTextAsync(configPath, $$"""
            haven {
              cluster { name = demo, node-name = demo-1, transport = simulated }
              journal { provider = sqlite, sqlite.path = "{{Path.Combine(dir, "daemon.db")}}" }
              control.socket = "{{socket}}"
              split-brain-resolver.stable-after = 200ms
              logging { console = off, file.path = "{{Path.Combine(dir, "haven.log")}}" }
            }
            """, ct);
        File.SetUnixFileMode(configPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Say(cli, "4. `haven config check haven.conf`:");
        var check = await HavenCli.RunAsync(["config", "check", configPath], cli.Out, cli.Err, ct);
        if (check != ExitCodes.Success) return check;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ready = new TaskCompletionSource<DaemonState>(TaskCreationOptions.RunContinuationsAsynchronously);
        var settings = DaemonVerb.LoadSettings(configPath, cli);
        var daemon = Task.Run(() => DaemonHost.RunAsync(settings, configPath, stop.Token, s => ready.TrySetResult(s)), CancellationToken.None);
        var first = await Task.WhenAny(ready.Task, daemon).WaitAsync(TimeSpan.FromSeconds(30), ct);
        if (first == daemon) return await daemon; // it failed to start: its error is the answer
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            bound.CancelAfter(TimeSpan.FromSeconds(30));
            await (await ready.Task).Journal.WaitForEventAsync("cluster.dc-changed.v1", bound.Token); // the one-host cluster named its DC
        }

        Say(cli, "5. `haven cluster status`:");
        await HavenCli.RunAsync(["cluster", "status", "--socket", socket], cli.Out, cli.Err, ct);
        Say(cli, "6. `haven events` (oldest first):");
        await HavenCli.RunAsync(["events", "--socket", socket], cli.Out, cli.Err, ct);
        Say(cli, "7. Stopping it, as SIGTERM would ...");
        await stop.CancelAsync();
        var code = await daemon.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Say(cli, code == ExitCodes.Success ? "Done: the daemon journaled its stop and exited cleanly." : $"The daemon stopped with exit code {code}.");
        return code;
    }

    private static void Say(CliContext cli, string text)
    {
        cli.Out.WriteLine();
        cli.Out.WriteLine(text);
    }
}
