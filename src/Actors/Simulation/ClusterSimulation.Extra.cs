using Haven.Actors.Cluster;
using Haven.Actors.Configuration;

namespace Haven.Actors.Simulation;

/// <summary>
/// The fault kinds beyond <see cref="SimulationFaults.Classic"/> (late or lying fence devices, slow timers,
/// one-way loss, hung daemons, operator commands racing with faults). They draw from a random stream of
/// their own and only when the run enables one of them, so classic runs replay exactly as before.
/// </summary>
public sealed partial class ClusterSimulation
{
    private Random? _extraRandom;

    private Random ExtraRandom => _extraRandom ??= new Random(unchecked(_options.Seed * 92_821 + 7));

    /// <summary>One step in thirty is one of the extra kinds the run enables. True when it took the step.</summary>
    private bool ExtraChaos()
    {
        var enabled = _options.Faults & SimulationFaults.Extra & ~SimulationFaults.NoFencing; // a setting of the run, not a step
        if (enabled == SimulationFaults.None || ExtraRandom.Next(30) != 0) return false;
        var kinds = SimulationFaultNames.Each.Where(k => (enabled & k) != 0).ToList();
        switch (kinds[ExtraRandom.Next(kinds.Count)])
        {
            case SimulationFaults.LateFence: LateFence(); break;
            case SimulationFaults.SlowTimers: SlowTimers(); break;
            case SimulationFaults.OneWay: OneWay(); break;
            case SimulationFaults.Hangs: Hang(); break;
            case SimulationFaults.Pacemaker: VmAdmin(); break;
            default: Command(); break;
        }
        return true;
    }

    /// <summary>Whether this run's cluster has no fencing (no-fencing: half the seeds, drawn once at the start).</summary>
    private bool FencingOff { get; set; }

    private void DecideFencing()
    {
        if (!Enabled(SimulationFaults.NoFencing) || ExtraRandom.Next(2) != 0) return;
        FencingOff = true;
        _notes.Add("this cluster has no fencing: every fence is impossible");
    }

    private void LateFence()
    {
        var host = _hosts[ExtraRandom.Next(_hosts.Length)];
        _faults++;
        switch (ExtraRandom.Next(3))
        {
            case 0:
                var late = TimeSpan.FromMilliseconds(500 + ExtraRandom.Next(7_500));
                Record($"fence device of n{host.Id} answers late ({Ms(late)})", () =>
                {
                    host.FenceLate = late;
                    host.FenceLies = false;
                });
                break;
            case 1:
                Record($"fence device of n{host.Id} lies: it powers off but reports a failure", () =>
                {
                    host.FenceLies = true;
                    host.FenceLate = null;
                });
                break;
            default:
                Record($"fence device of n{host.Id} answers at once again", () =>
                {
                    host.FenceLies = false;
                    host.FenceLate = null;
                });
                break;
        }
    }

    private void SlowTimers()
    {
        var host = _hosts[ExtraRandom.Next(_hosts.Length)];
        var clock = host.Clock!;
        var slowdown = clock.Slowdown == 1 ? 2 + ExtraRandom.Next(4) : 1;
        _faults++;
        Record(slowdown == 1 ? $"n{host.Id}'s timers run on time again" : $"n{host.Id}'s timers run {slowdown}x slow", () => clock.Slowdown = slowdown);
    }

    /// <summary>
    /// A hears B but B does not hear A. Corosync never delivers that inside a view: the ring loses its token
    /// and re-forms without one of them, then without the other, until the loss ends (a flap of two splits).
    /// </summary>
    private void OneWay()
    {
        if (_hosts.Length < 2)
        {
            DeliverOrWait();
            return;
        }
        var a = _hosts[ExtraRandom.Next(_hosts.Length)];
        var others = _hosts.Where(h => h != a).ToList();
        var b = others[ExtraRandom.Next(others.Count)];
        var cycles = 1 + ExtraRandom.Next(3);
        _faults++;
        for (var c = 0; c < cycles; c++)
        {
            foreach (var excluded in new[] { a, b })
            {
                var rest = _hosts.Where(h => h != excluded).Select(h => h.Id).Order().ToList();
                List<List<Membership.NodeId>> sides = [[excluded.Id], rest];
                sides = [.. sides.OrderBy(s => s[0])];
                var hold = TimeSpan.FromMilliseconds(100 + ExtraRandom.Next(900));
                _script.Enqueue(($"one-way n{a.Id}→n{b.Id} {c + 1}/{cycles}: the ring re-forms without n{excluded.Id}: partition "
                                 + string.Join(" | ", sides.Select(Format)), () => ApplyPartition(sides)));
                _script.Enqueue(("one-way: deliver", DeliverOne));
                _script.Enqueue(($"one-way: wait {Ms(hold)}", () => Advance(hold)));
            }
        }
        _script.Enqueue(($"one-way n{a.Id}→n{b.Id} ends: heal", Heal));
        var first = _script.Dequeue();
        Record(first.Label, first.Act);
    }

    /// <summary>A running daemon hangs for a while: it stays in the membership and hears and fires nothing, then resumes.</summary>
    private void Hang()
    {
        var candidates = _hosts.Where(h => h.Running && h.Transport is not null && !h.Hung).ToList();
        if (candidates.Count == 0)
        {
            DeliverOrWait();
            return;
        }
        var host = candidates[ExtraRandom.Next(candidates.Count)];
        var incarnation = host.Incarnation;
        var length = TimeSpan.FromMilliseconds(500 + ExtraRandom.Next(9_500));
        _faults++;
        Record($"n{host.Id}'s daemon hangs for {Ms(length)}", () =>
        {
            host.Clock!.Hang();
            host.Transport!.Holding = true;
        });
        var steps = 2 + ExtraRandom.Next(6);
        for (var i = 0; i < steps; i++)
        {
            var wait = length / steps;
            _script.Enqueue(("hang: deliver", DeliverOne));
            _script.Enqueue(($"hang: wait {Ms(wait)}", () => Advance(wait)));
        }
        _script.Enqueue(($"n{host.Id}'s daemon resumes", () => Resume(host, incarnation)));
    }

    private static void Resume(SimulatedHost host, int incarnation)
    {
        if (!host.IsCurrent(incarnation)) return; // it died meanwhile: the new incarnation starts clean
        host.Clock!.Resume();
        host.Transport?.Release();
    }

    /// <summary>Operator commands racing with faults: ip move, cluster down, the HA switch.</summary>
    private void Command()
    {
        var node = _members[ExtraRandom.Next(_members.Length)].Name;
        var targets = _hosts.Where(h => h.Running && h.Cluster is not null && !h.Hung).ToList();
        if (targets.Count == 0)
        {
            DeliverOrWait();
            return;
        }
        var host = targets[ExtraRandom.Next(targets.Count)];
        var ip = _addresses[ExtraRandom.Next(_addresses.Length)].Ip;
        var (label, command) = ExtraRandom.Next(4) switch
        {
            0 => ($"operator: ip move {ip} {node}", (object)new MoveAddress(ip, node)),
            1 => ($"operator: cluster down {node}", new DownNode(node)),
            2 => ("operator: config set haven.ha.enabled off", new SetSetting(ClusterWideSettings.HaEnabledKey, "off")),
            _ => ("operator: config set haven.ha.enabled on", new SetSetting(ClusterWideSettings.HaEnabledKey, "on")),
        };
        Record($"{label} (on n{host.Id})", () => host.Cluster!.Tell(command, null));
    }

    /// <summary>Convergence clears the extra kinds too: devices answer at once and truly, timers run on time, hung daemons resume.</summary>
    private void ClearExtraFaults()
    {
        foreach (var host in _hosts)
        {
            host.FenceLate = null;
            host.FenceLies = false;
            host.Clock!.Slowdown = 1;
            if (host.Hung) Resume(host, host.Incarnation);
        }
    }
}
