using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;

namespace Haven.Actors.Simulation;

/// <summary>The outcome of a scenario: its trace lines, the invariants it broke and the commands that could not run.</summary>
public sealed record ScenarioResult(Scenario Scenario, ImmutableArray<string> Trace, ImmutableArray<InvariantViolation> Violations, ImmutableArray<string> Errors)
{
    public bool Passed => Violations.IsEmpty && Errors.IsEmpty;

    /// <summary>The trace as <c>trace.expect</c> holds it.</summary>
    public string Text => string.Join("\n", Trace) + "\n";
}

/// <summary>
/// Scripted runs (<see cref="Scenario"/>): no random fault at all, only the cmdlist's commands at their times. Between
/// commands every message is delivered at once and virtual time moves from timer to timer; every step is checked
/// against the invariants as in a chaos run, and the first violation ends the run.
/// </summary>
public sealed partial class ClusterSimulation
{
    private ScenarioTrace? _scenarioTrace;
    private readonly List<string> _scenarioErrors = [];
    private readonly List<(SimulatedHost Host, int Incarnation)> _exiting = [];

    /// <summary>Runs a scenario to its end and returns its trace. Throws only for a scenario whose header the simulation cannot take.</summary>
    public static ScenarioResult RunScenario(Scenario scenario, ClusterActorFactory factory)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var c = scenario.Cluster;
        var options = new SimulationOptions
        {
            Nodes = c.Nodes, Seed = c.Seed, Steps = 1, Factory = factory, AddressesPerNode = c.AddressesPerNode, VmsPerNode = c.VmsPerNode,
            Faults = SimulationFaults.None, StableAfter = c.StableAfter, Scenario = c,
            Scheduler = SimulationScheduler.Fifo, // a scenario scripts a story, and its trace.expect was written under FIFO
        };
        if (options.Validate() is { } problem) throw new ArgumentException($"invalid scenario {scenario.Name}: {problem}", nameof(scenario));
        return new ClusterSimulation(options).ExecuteScenario(scenario);
    }

    private ScenarioResult ExecuteScenario(Scenario scenario)
    {
        var trace = _scenarioTrace = new ScenarioTrace(_members, _start);
        _snapshotPolicy = new SnapshotPolicy(10_000, 10_000); // the daemon's defaults, not a seed's
        var reported = 0;
        void Report()
        {
            for (; reported < _violations.Count; reported++)
            {
                var v = _violations[reported];
                trace.Add(Now, '!', $"{v.Invariant} [{string.Join(",", v.Hosts.Select(h => "n" + h))}]: {v.Detail}");
            }
        }
        try
        {
            trace.Add(Now, '>', "start " + string.Join(" ", _hosts.Select(h => "n" + h.Id)));
            Step("start", () =>
            {
                foreach (var host in _hosts) StartHost(host);
            });
            foreach (var command in scenario.Commands)
            {
                RunUntil(command.At);
                Report();
                if (Failed) break;
                trace.Add(Now, '>', command.Text);
                if (Apply(command) is { } error)
                {
                    _scenarioErrors.Add($"{command.Where}: {command.Text}: {error}");
                    trace.Add(Now, '!', $"{command.Text}: {error}");
                }
                Report();
                if (Failed) break;
            }
            if (!Failed) RunUntil(scenario.Cluster.End);
            Report();
            if (!Failed) EndState();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _violations.Add(new InvariantViolation(InvariantNames.HostFailure, _step, [], $"the run was aborted: {e.GetType().Name}: {e.Message}"));
            Report();
        }
        finally
        {
            foreach (var host in _hosts) host.Stop();
            try { _runtime.RunUntilIdle(MaxMessagesPerStep); } catch (Exception e) when (e is InvalidOperationException or Akka.SimEscapeException) { }
            _runtime.Dispose();
        }
        return new ScenarioResult(scenario, [.. trace.Lines], [.. _violations], [.. _scenarioErrors]);
    }

    /// <summary>One harness step, then its replicated events and host effects into the scenario trace; a daemon whose clean stop was answered exits.</summary>
    private void Step(string label, Action act)
    {
        Record(label, act);
        _scenarioTrace!.Collect(Now, _hosts.Select(h => (h.Id, h.Running && h.LastView?.Role == PartitionRole.Primary, h.Stream)));
        if (_exiting.Count == 0) return;
        var exiting = _exiting.ToList();
        _exiting.Clear();
        foreach (var (host, incarnation) in exiting.Where(e => e.Host.IsCurrent(e.Incarnation)))
        {
            _scenarioTrace.Add(Now, '*', $"n{host.Id}'s daemon exits");
            Step($"n{host.Id}'s daemon exits", () => KillDaemon(host));
        }
    }

    /// <summary>Delivers every message at once and moves virtual time from timer to timer until <paramref name="at"/>.</summary>
    private void RunUntil(TimeSpan at)
    {
        var end = _start + at;
        for (var rounds = 0; !Failed; rounds++)
        {
            if (rounds > 1_000_000) throw new SimulationLivelockException($"livelock: more than 1,000,000 steps before {ScenarioReader.Seconds(at)}");
            if (_network.PendingCount > 0)
            {
                Step("deliver", DeliverOne);
                continue;
            }
            var now = _runtime.GetUtcNow();
            if (now >= end) return;
            var target = _runtime.NextDue is { } due && due < end ? (due > now ? due : now) : end;
            Step("wait", () => AdvanceTo(target));
        }
    }

    private void KillDaemon(SimulatedHost host)
    {
        if (host.Transport is { Joined: true }) _network.KillProcess(host.Id);
        host.Stop();
    }

    /// <summary>Carries out one command; null when it ran, else why it could not.</summary>
    private string? Apply(ScenarioCommand command)
    {
        switch (command)
        {
            case PartitionCommand p:
                Step(command.Text, () => ApplyPartition([.. p.Sides.Select(s => s.Select(n => new NodeId((uint)n)).ToList())]));
                return null;
            case OneWayCommand o:
                OneWay(o);
                return null;
            case OperatorCommand op:
                return Operate(op);
            case NodeCommand n:
                return NodeAction(n);
            default:
                return "not a command";
        }
    }

    private string? NodeAction(NodeCommand n)
    {
        var host = n.Node == 0 ? null : _hosts[n.Node - 1];
        switch (n.Action)
        {
            case "heal": Step(n.Text, Heal); return null;
            case "expect-converged":
                var problems = CheckConvergence();
                foreach (var p in problems) _scenarioErrors.Add($"{n.Where}: expect converged: {p.Detail}");
                foreach (var p in problems) _scenarioTrace!.Add(Now, '!', $"not converged: {p.Detail}");
                return null;
        }
        switch (n.Action)
        {
            case "crash" when !host!.Powered: return $"n{host.Id} is already powered off";
            case "crash": Step(n.Text, () => PowerOff(host, fenced: false)); return null;
            case "kill" when !host!.Running: return $"n{host.Id}'s daemon is not running";
            case "kill": Step(n.Text, () => KillDaemon(host)); return null;
            case "boot" when host!.Powered: return $"n{host.Id} is powered on (start its daemon with 'start n{host.Id}')";
            case "boot": Step(n.Text, () => Boot(host)); return null;
            case "start" when !host!.Powered: return $"n{host.Id} is powered off (power it on with 'boot n{host.Id}')";
            case "start" when host.Running && !host.HasLeft: return $"n{host.Id}'s daemon is running";
            case "start": Step(n.Text, () => RestartAfterLeave(host)); return null;
            case "stop" when !host!.Running || host.Cluster is null: return $"n{host.Id}'s daemon is not running";
            case "stop":
                var incarnation = host.Incarnation;
                Step(n.Text, () => host.Cluster!.Tell(ShutDownCleanly.Instance, new ScenarioReply(host.System!.NextTempPath(), reply =>
                {
                    _scenarioTrace!.Reply($"n{host.Id}: {Answer(reply)}");
                    _exiting.Add((host, incarnation));
                })));
                return null;
            case "fence-fails": Step(n.Text, () => (host!.FenceFails, host.FenceLies) = (true, false)); return null;
            case "fence-lies": Step(n.Text, () => (host!.FenceFails, host.FenceLies) = (false, true)); return null;
            case "fence-works": Step(n.Text, () => (host!.FenceFails, host.FenceLies) = (false, false)); return null;
            case "heuristics-reachable": Step(n.Text, () => host!.Reachable = true); return null;
            case "heuristics-unreachable": Step(n.Text, () => host!.Reachable = false); return null;
            case "monitor-fails" or "monitor-passes" when !host!.Running || host.Cluster is null: return $"n{host.Id}'s daemon is not running";
            case "monitor-fails": Step(n.Text, () => host!.Cluster!.Tell(new ReportHealth(false, "monitor failed (scenario)"), null)); return null;
            case "monitor-passes": Step(n.Text, () => host!.Cluster!.Tell(new ReportHealth(true, ""), null)); return null;
            default: return $"unknown action {n.Action}";
        }
    }

    private string? Operate(OperatorCommand op)
    {
        var host = op.Via != 0 ? _hosts[op.Via - 1]
            : _hosts.FirstOrDefault(h => h.Running && h.Cluster is not null && h.LastView?.Role == PartitionRole.Primary);
        if (host is null) return "no host is in the primary partition to take it (name one with 'on NODE')";
        if (!host.Running || host.Cluster is null) return $"n{host.Id}'s daemon is not running";
        if (op.Message is LeaveCluster) host.LeaveSent = true;
        Step(op.Text, () => host.Cluster!.Tell(op.Message, new ScenarioReply(host.System!.NextTempPath(),
            reply => _scenarioTrace!.Reply($"n{host.Id}: {Answer(reply)}"))));
        return null;
    }

    private static string Answer(object reply) => reply switch
    {
        OperatorCommandResult r => (r.Accepted ? "accepted: " : "refused: ") + r.Message,
        CleanShutdownResult r => (r.Locked ? "locked: " : "no lock: ") + r.Message,
        _ => reply.GetType().Name,
    };

    /// <summary>One-way loss as Corosync sees it: the ring re-forms without the one side, then without the other, a second each, until the loss ends.</summary>
    private void OneWay(OneWayCommand o)
    {
        var (a, b) = (_hosts[o.From - 1], _hosts[o.To - 1]);
        var end = o.At + o.For;
        for (var i = 0; Now < end && !Failed; i++)
        {
            var excluded = i % 2 == 0 ? a : b;
            var rest = _hosts.Where(h => h != excluded).Select(h => h.Id).ToList();
            List<List<NodeId>> sides = [.. new List<List<NodeId>> { new() { excluded.Id }, rest }.OrderBy(s => s[0])];
            var label = $"the ring re-forms without n{excluded.Id}: partition {string.Join(" | ", sides.Select(s => string.Join(" ", s.Select(n => "n" + n))))}";
            _scenarioTrace!.Add(Now, '*', label);
            Step(label, () => ApplyPartition(sides));
            var next = Now + TimeSpan.FromSeconds(1);
            RunUntil(next < end ? next : end);
        }
        if (Failed) return;
        _scenarioTrace!.Add(Now, '*', $"one-way n{a.Id} -> n{b.Id} ends: heal");
        Step("one-way ends: heal", Heal);
    }

    /// <summary>The end of the run: per node its power, role and cluster state, what addresses it holds and what VMs its hypervisor runs.</summary>
    private void EndState()
    {
        var trace = _scenarioTrace!;
        var primary = _hosts.FirstOrDefault(h => h.Running && h.LastView?.Role == PartitionRole.Primary)?.LastView;
        foreach (var host in _hosts)
        {
            var power = !host.Powered ? "powered off" : !host.Running ? "up, daemon stopped" : host.HasLeft ? "up, left the cluster"
                : $"up, {host.LastView?.Role.ToString() ?? "no view"}";
            var state = primary?.State.Nodes.GetValueOrDefault(host.Id)?.State.ToString() ?? "unknown";
            var ips = _addresses.Select(a => a.Ip).Where(ip => _ledger.HoldersOf(ip).Contains(host.Id)).ToList();
            var vms = host.Domains.Where(d => d.Value.State is Vms.VmPowerState.Running or Vms.VmPowerState.Paused).Select(d => d.Key).Order(StringComparer.Ordinal).ToList();
            trace.Add(Now, '#', $"n{host.Id}: {power}; cluster says {state.ToLowerInvariant()}; ips {(ips.Count == 0 ? "-" : string.Join(" ", ips))}; vms {(vms.Count == 0 ? "-" : string.Join(" ", vms))}");
        }
        trace.Add(Now, '#', primary is null ? "no primary partition" : $"dc {(primary.Dc is { } dc ? "n" + dc : "-")}");
    }

    /// <summary>The sender of a scripted command: its answer goes into the scenario trace.</summary>
    private sealed class ScenarioReply(ActorPath path, Action<object> onReply) : IActorRef
    {
        private bool _answered;

        public ActorPath Path { get; } = path;

        public void Tell(object message, IActorRef? sender)
        {
            if (_answered) return;
            _answered = true;
            onReply(message);
        }
    }
}
