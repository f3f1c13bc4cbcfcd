using Haven.Actors.Membership;

namespace Haven.Actors.Simulation;

/// <summary>The chaos script: every choice comes from the run's seeded Random, in a fixed order.</summary>
public sealed partial class ClusterSimulation
{
    private void ChaosStep()
    {
        if (_script.TryDequeue(out var scripted))
        {
            Record(scripted.Label, scripted.Act);
            return;
        }
        if (ExtraChaos()) return;
        if (VmChaos()) return;
        if (NodeChaos()) return;
        if (LeaveChaos()) return;
        var roll = _random.Next(100);
        if (roll < 55) DeliverOrWait();
        else if (roll < 85) Wait();
        else InjectFault();
    }

    private void DeliverOrWait()
    {
        if (_network.PendingCount == 0)
        {
            Wait();
            return;
        }
        Record("deliver", DeliverOne);
    }

    private void DeliverOne()
    {
        if (_network.DeliverNext()) _delivered++;
    }

    private void Wait()
    {
        var next = _runtime.NextDue;
        if (next is { } due && _random.Next(8) == 0 && due - _runtime.GetUtcNow() <= TimeSpan.FromSeconds(10))
        {
            var by = due > _runtime.GetUtcNow() ? due - _runtime.GetUtcNow() : TimeSpan.Zero;
            Record($"wait {Ms(by)} (next timer)", () => AdvanceTo(due > _runtime.GetUtcNow() ? due : _runtime.GetUtcNow()));
            return;
        }
        var amount = TimeSpan.FromMilliseconds(10 + _random.Next(990));
        Record($"wait {Ms(amount)}", () => Advance(amount));
    }

    private bool Enabled(SimulationFaults kind) => (_options.Faults & kind) != 0;

    private void InjectFault()
    {
        var roll = _random.Next(9);
        var kind = roll switch
        {
            0 or 1 or 2 => SimulationFaults.Partitions,
            3 => SimulationFaults.Crashes | SimulationFaults.Kills,
            4 => SimulationFaults.Restarts,
            5 => SimulationFaults.Flapping,
            6 => SimulationFaults.Heuristics,
            7 => SimulationFaults.FenceFailures,
            _ => SimulationFaults.Delays,
        };
        if (!Enabled(kind))
        {
            DeliverOrWait(); // a disabled kind: the step passes as an ordinary one
            return;
        }
        switch (roll)
        {
            case 0 or 1: Partition(); break;
            case 2: Record("heal", Heal); _faults++; break;
            case 3: Crash(); break;
            case 4: Restart(); break;
            case 5: Flap(); break;
            case 6: ToggleReachability(); break;
            case 7: ToggleFenceFailure(); break;
            default: DelayNode(); break;
        }
    }

    private List<List<NodeId>> ChooseSplit(bool allowThreeWay)
    {
        var ids = _hosts.Select(h => h.Id).ToList();
        for (var i = ids.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (ids[i], ids[j]) = (ids[j], ids[i]);
        }
        int[] cuts;
        if (allowThreeWay && ids.Count >= 3 && _random.Next(4) == 0)
        {
            var first = 1 + _random.Next(ids.Count - 2);
            cuts = [first, first + 1 + _random.Next(ids.Count - first - 1)];
        }
        else cuts = [1 + _random.Next(ids.Count - 1)];
        var sides = new List<List<NodeId>>();
        var start = 0;
        foreach (var cut in cuts.Append(ids.Count))
        {
            sides.Add(ids.GetRange(start, cut - start).Order().ToList());
            start = cut;
        }
        return sides.OrderBy(s => s[0]).ToList();
    }

    private void Partition()
    {
        var sides = ChooseSplit(allowThreeWay: true);
        _faults++;
        Record("partition " + string.Join(" | ", sides.Select(Format)), () => ApplyPartition(sides));
    }

    private void ApplyPartition(List<List<NodeId>> sides)
    {
        for (var i = 0; i < sides.Count; i++)
            foreach (var node in sides[i]) HostOf(node).Side = i;
        _network.Partition([.. sides.Select(s => (IEnumerable<NodeId>)s)]);
    }

    private void Heal()
    {
        foreach (var host in _hosts) host.Side = 0;
        _network.Heal();
    }

    private void Crash()
    {
        var running = _hosts.Where(h => h.Running).ToList();
        if (running.Count < 2)
        {
            DeliverOrWait();
            return;
        }
        var victim = running[_random.Next(running.Count)];
        var powerOff = _random.Next(2) == 0;
        if (!Enabled(powerOff ? SimulationFaults.Crashes : SimulationFaults.Kills))
        {
            DeliverOrWait();
            return;
        }
        _faults++;
        if (powerOff)
            Record($"crash n{victim.Id} (node down)", () => PowerOff(victim, fenced: false));
        else
            Record($"kill n{victim.Id}'s process", () =>
            {
                if (victim.Transport is { Joined: true }) _network.KillProcess(victim.Id);
                victim.Stop();
            });
    }

    private void Restart()
    {
        var stopped = _hosts.Where(h => !h.Running).ToList();
        if (stopped.Count == 0)
        {
            DeliverOrWait();
            return;
        }
        var host = stopped[_random.Next(stopped.Count)];
        _faults++;
        Record(host.Powered ? $"restart n{host.Id}'s process" : $"boot n{host.Id}", () => Boot(host));
    }

    /// <summary>Partition and heal a few times in quick succession, over the next steps.</summary>
    private void Flap()
    {
        var sides = ChooseSplit(allowThreeWay: false);
        var cycles = 2 + _random.Next(3);
        _faults++;
        for (var c = 0; c < cycles; c++)
        {
            var up = TimeSpan.FromMilliseconds(50 + _random.Next(400));
            var down = TimeSpan.FromMilliseconds(50 + _random.Next(400));
            _script.Enqueue(($"flap {c + 1}/{cycles}: partition " + string.Join(" | ", sides.Select(Format)), () => ApplyPartition(sides)));
            _script.Enqueue(("flap: deliver", DeliverOne));
            _script.Enqueue(("flap: deliver", DeliverOne));
            _script.Enqueue(($"flap: wait {Ms(up)}", () => Advance(up)));
            _script.Enqueue(($"flap {c + 1}/{cycles}: heal", Heal));
            _script.Enqueue(("flap: deliver", DeliverOne));
            _script.Enqueue(($"flap: wait {Ms(down)}", () => Advance(down)));
        }
        var first = _script.Dequeue();
        Record(first.Label, first.Act);
    }

    private void ToggleReachability()
    {
        var host = _hosts[_random.Next(_hosts.Length)];
        _faults++;
        Record($"n{host.Id} heuristics {(host.Reachable ? "unreachable" : "reachable")}", () => host.Reachable = !host.Reachable);
    }

    private void ToggleFenceFailure()
    {
        var host = _hosts[_random.Next(_hosts.Length)];
        _faults++;
        Record($"fencing n{host.Id} {(host.FenceFails ? "works again" : "fails")}", () => host.FenceFails = !host.FenceFails);
    }

    private void DelayNode()
    {
        var host = _hosts[_random.Next(_hosts.Length)];
        var steps = 1 + _random.Next(8);
        _faults++;
        Record($"delay n{host.Id}'s messages {steps} steps", () => _network.Delay(host.Id, steps));
    }

    private SimulatedHost HostOf(NodeId node) => _hosts.First(h => h.Id == node);

    // ---- convergence ----------------------------------------------------------------------------------

    /// <summary>Clears every fault, then drives the cluster until it converges or the convergence time is up.</summary>
    private bool Converge()
    {
        _script.Clear();
        Record("converge: heal, clear fence failures and heuristics, boot every stopped host", () =>
        {
            Heal();
            foreach (var host in _hosts)
            {
                host.FenceFails = false;
                host.Reachable = true;
            }
            ClearExtraFaults();
            ResumePausedVms();
            foreach (var host in _hosts.Where(h => !h.Running)) Boot(host);
        });
        var deadline = _runtime.GetUtcNow() + _options.ConvergenceTime;
        for (var rounds = 0; !Failed && rounds < 100_000; rounds++)
        {
            var deliveries = 0;
            while (_network.PendingCount > 0 && !Failed && deliveries++ < 10_000) Record("deliver", DeliverOne);
            if (Failed) return false;
            var stopped = _hosts.Where(h => !h.Running).ToList();
            if (stopped.Count > 0)
            {
                Record("converge: boot " + string.Join(",", stopped.Select(h => "n" + h.Id)), () =>
                {
                    foreach (var host in stopped) Boot(host);
                });
                continue;
            }
            if (RestartLeftHosts()) continue;
            if (_network.PendingCount == 0 && CheckConvergence().Count == 0) return true;
            if (_network.PendingCount == 0) ClearOperatorFaults();
            var now = _runtime.GetUtcNow();
            if (now >= deadline) break;
            var next = _runtime.NextDue;
            var target = next is { } due && due < deadline ? (due > now ? due : now) : deadline;
            Record($"wait {Ms(target - now)}", () => AdvanceTo(target));
        }
        if (Failed) return false;
        var problems = CheckConvergence();
        _violations.AddRange(problems);
        if (problems.Count > 0) ExplainUnconvergedVms(problems);
        return problems.Count == 0;
    }
}
