using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;

namespace Haven.Actors.Simulation;

/// <summary>
/// A whole Haven cluster (2..7 hosts) in one process on one thread: one <see cref="SimulatedNetwork"/>,
/// one dispatcher and one virtual clock (<see cref="SimulationRuntime"/>: Haven's FIFO dispatcher, or the
/// Akka port's seeded loop with <see cref="SimulationScheduler.Loop"/>), and per host an actor
/// system running the ClusterActor the factory builds, over its own in-memory journal. A seeded Random
/// picks every step — deliver a message, let time pass, or inject a fault — and the invariants are
/// checked after each. The run ends with a convergence phase: every fault is cleared and the cluster
/// must end as one primary of every host with one stream and every address held exactly once.
/// The same options always give the same trace.
/// </summary>
public sealed partial class ClusterSimulation
{
    public const string FenceDevice = "sim-pdu";
    private const string Group = "haven";

    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly SimulationRuntime _runtime;
    private readonly SimulatedNetwork _network;
    private readonly SimulatedHost[] _hosts;
    private readonly ImmutableArray<Member> _members;
    private readonly ImmutableArray<PublicAddress> _addresses;
    private readonly DateTimeOffset _start;
    private readonly List<TraceEntry> _trace = [];
    private readonly List<InvariantViolation> _violations = [];
    private readonly List<string> _notes = [];
    private readonly Queue<(string Label, Action Act)> _script = new();
    private readonly DecodedPayloads _decoded = new();
    private AddressLedger _ledger = AddressLedger.Empty;
    private int _step;
    private long _delivered;
    private int _faults;
    private (NodeId Sender, int Length, string Preview, List<NodeId> To)? _delivery;

    private ClusterSimulation(SimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _runtime = SimulationRuntime.For(options.Scheduler, options.Seed);
        _start = _runtime.GetUtcNow();
        _members = options.Members();
        _addresses = options.PublicAddresses();
        _network = new SimulatedNetwork(_members, new Random(unchecked(options.Seed * 1_000_003 + 17)));
        _hosts = _members.Select(m => new SimulatedHost(m, _network.Transport(m.Id)) { Clock = new HostClock(_runtime.Time) }).ToArray();
        foreach (var host in _hosts) host.BeforeDelete = () => ReadStream(host); // the audit reads what is about to go
    }

    /// <summary>Runs one seed to the end and returns its violations and trace. Throws only for invalid options.</summary>
    public static SimulationResult Run(SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } problem) throw new ArgumentException($"invalid simulation options: {problem}", nameof(options));
        return new ClusterSimulation(options).Execute();
    }

    private bool Failed => _options.StopAtFirstViolation && _violations.Count > 0;

    private SimulationResult Execute()
    {
        var converged = false;
        try
        {
            DecideFencing();
            Record("start " + string.Join(" ", _hosts.Select(h => "n" + h.Id)), () =>
            {
                foreach (var host in _hosts) StartHost(host);
            });
            for (var i = 0; i < _options.Steps && !Failed; i++) ChaosStep();
            if (!Failed) converged = Converge();
        }
        catch (SimulationLivelockException e)
        {
            _violations.Add(new InvariantViolation(InvariantNames.HostFailure, _step, [], e.Message));
            FlushNotes("(aborted: livelock)");
        }
        catch (SimulationRunawayException e)
        {
            _violations.Add(new InvariantViolation(InvariantNames.HostFailure, _step, [e.Host], e.Message));
            FlushNotes("(aborted: runaway stream)");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _violations.Add(new InvariantViolation(InvariantNames.HostFailure, _step, [],
                $"the harness caught {e.GetType().Name}: {e.Message}"));
            FlushNotes($"(aborted: {e.GetType().Name})");
        }
        finally
        {
            foreach (var host in _hosts) host.Stop();
            try { _runtime.RunUntilIdle(MaxMessagesPerStep); } catch (Exception e) when (e is InvalidOperationException or Akka.SimEscapeException) { }
            _runtime.Dispose();
        }
        return new SimulationResult(_options, [.. _violations], [.. _trace], converged, Now, _delivered, _faults);
    }

    private TimeSpan Now => _runtime.GetUtcNow() - _start;

    /// <summary>More messages than this in one step is a livelock (an actor restarting or talking to itself forever).</summary>
    public const int MaxMessagesPerStep = 200_000;

    /// <summary>More timer rounds than this in one step is a livelock too (a timer rescheduling itself with no delay).</summary>
    public const int MaxTimerRoundsPerStep = 10_000;

    private void Drain()
    {
        try
        {
            _runtime.RunUntilIdle(MaxMessagesPerStep);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("did not become idle", StringComparison.Ordinal))
        {
            throw new SimulationLivelockException($"livelock: the actors processed more than {MaxMessagesPerStep:N0} messages in one step without becoming idle");
        }
    }

    /// <summary>Moves virtual time to <paramref name="target"/>, firing due timers in order and letting the actors settle after each.</summary>
    private void AdvanceTo(DateTimeOffset target)
    {
        Drain();
        for (var rounds = 0; _runtime.NextDue is { } due && due <= target; rounds++)
        {
            if (rounds >= MaxTimerRoundsPerStep)
                throw new SimulationLivelockException($"livelock: more than {MaxTimerRoundsPerStep:N0} timer rounds before {(target - _start).TotalSeconds:0.###}s");
            var now = _runtime.GetUtcNow();
            _runtime.AdvanceTo(due > now ? due : now);
            Drain();
        }
        if (target > _runtime.GetUtcNow()) _runtime.AdvanceTo(target);
        Drain();
    }

    private void Advance(TimeSpan by) => AdvanceTo(_runtime.GetUtcNow() + by);

    // ---- one step ------------------------------------------------------------------------------------

    /// <summary>Runs an action as one step: settle the actors, trace it with what it caused, check the invariants.</summary>
    private void Record(string label, Action act)
    {
        _step++;
        var at = Now;
        Drain();
        act();
        Drain();
        FlushNotes(label, at);
        CheckSafety();
    }

    private void FlushNotes(string label, TimeSpan? at = null)
    {
        EndDelivery();
        _scenarioTrace?.Notes(_notes);
        var text = _notes.Count == 0 ? label : label + ": " + string.Join("; ", _notes);
        _notes.Clear();
        var entry = new TraceEntry(_step, at ?? Now, text);
        _trace.Add(entry);
        _options.TraceSink?.Invoke(entry);
    }

    private void StartHost(SimulatedHost host)
    {
        var settings = new ActorSystemSettings
        {
            Dispatcher = _runtime.Dispatcher,
            TimeProvider = host.Clock!,
            Random = new Random(unchecked(_options.Seed * 7919 + (int)host.Id.Value * 104_729 + host.Incarnation)),
            LoggerFactory = _options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        };
        var serializer = new JsonEventSerializer(_options.Registry());
        host.Reader ??= new JsonEventSerializer(_options.Registry());
        var (system, dependencies) = host.Start(this, settings, serializer, VmServicesFor);
        var options = new ClusterOptions
        {
            ClusterName = "sim",
            Self = host.Member,
            Nodes = _members,
            SplitBrain = _options.SplitBrain(),
            PublicAddresses = _addresses,
            Snapshots = SnapshotPolicyOfSeed(),
        };
        host.Cluster = system.ActorOf(_options.Factory(options, dependencies), "cluster");
        _notes.Add($"n{host.Id} starts (incarnation {host.Incarnation})");
    }

    // ---- callbacks from the hosts' adapters (on an actor's turn) -------------------------------------

    internal void Observe(SimulatedHost host, ClusterView view)
    {
        var before = host.LastView;
        host.LastView = view;
        if (before is null || before.Role != view.Role || before.Dc != view.Dc)
            _notes.Add($"n{host.Id} {view.Role} dc={(view.Dc is { } dc ? "n" + dc : "-")}");
    }

    internal void RecordAddress(AddressAction action)
    {
        (_ledger, var violation) = _ledger.Apply(action, _step);
        if (violation is not null) _violations.Add(violation);
        _notes.Add(action switch
        {
            AddressTaken t => $"n{t.Host} takeip {t.Ip}",
            AddressReleased r => $"n{r.Host} releaseip {r.Ip}",
            _ => action.ToString(),
        });
    }

    internal void NoteDelivery(NodeId sender, NodeId recipient, byte[] payload)
    {
        if (_delivery is { } d && d.Sender == sender && d.Length == payload.Length) d.To.Add(recipient);
        else
        {
            EndDelivery();
            _delivery = (sender, payload.Length, Preview(payload), [recipient]);
        }
    }

    internal void NoteMembership(NodeId node, MembershipChanged change)
    {
        EndDelivery();
        _notes.Add($"n{node} view [{string.Join(",", change.Members.Select(m => m.Id))}]");
    }

    private void EndDelivery()
    {
        if (_delivery is not { } d) return;
        _delivery = null;
        _notes.Add($"n{d.Sender}→[{string.Join(",", d.To)}] {d.Preview}");
    }

    private static string Preview(byte[] payload)
    {
        var text = Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, 96));
        if (text.Any(c => char.IsControl(c) || c == '\uFFFD')) return $"{payload.Length}B";
        return payload.Length > 96 ? text + "…" : text;
    }

    // ---- power ------------------------------------------------------------------------------------------

    private void PowerOff(SimulatedHost host, bool fenced)
    {
        if (host.Powered) _network.Crash(host.Id);
        host.Powered = false;
        host.Stop();
        RecordAddress(new HostPoweredOff(host.Id, fenced));
        VmPowerOff(host, fenced);
    }

    private void Boot(SimulatedHost host)
    {
        host.LeaveSent = false;
        if (!host.Powered)
        {
            _network.Restart(host.Id);
            host.Powered = true;
            RecordAddress(new HostBooted(host.Id));
            VmBoot(host);
        }
        StartHost(host);
    }

    // ---- invariants ---------------------------------------------------------------------------------

    private IReadOnlyList<HostObservation> Observe()
    {
        var list = new List<HostObservation>(_hosts.Length);
        foreach (var host in _hosts)
        {
            ReadStream(host);
            list.Add(new HostObservation(host.Id, host.Powered, host.Running, host.Side, _network.ViewOf(host.Id),
                host.LastView, host.Stream));
        }
        return list;
    }

    /// <summary>
    /// Reads the journal entries written since the last step: replicated events extend the stream, a
    /// <see cref="StreamReset"/> cuts it back to the common prefix (the audit state is rebuilt from it);
    /// the new events are audited.
    /// </summary>
    private void ReadStream(SimulatedHost host)
    {
        var highest = host.Journal.ReadHighestSequenceNrAsync(SimulatedHost.StreamPersistenceId).GetAwaiter().GetResult();
        if (highest <= host.ReadUpTo || host.Reading) return;
        host.Reading = true;
        var pending = new List<IClusterEvent>();
        var entries = host.Journal.ReadAsync(SimulatedHost.StreamPersistenceId, host.ReadUpTo + 1, highest).GetAsyncEnumerator();
        try
        {
            while (entries.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                switch (_decoded.Deserialize(host.Reader!, entries.Current))
                {
                    case IClusterEvent e:
                        pending.Add(e);
                        host.Chain.Append(entries.Current.Manifest, entries.Current.Payload);
                        break;
                    case StreamReset reset:
                        Audit(host, pending);
                        pending.Clear();
                        var keep = (int)Math.Clamp(reset.DivergedAt, 0, host.Stream.Count);
                        host.Stream.Truncate(keep);
                        host.Chain.TruncateAfter(keep);
                        host.AuditState = Rebuild(host.Stream.Events);
                        break;
                    case StreamSnapshot snapshot:
                        Audit(host, pending);
                        pending.Clear();
                        ReadSnapshot(host, snapshot);
                        break;
                }
            }
        }
        finally
        {
            entries.DisposeAsync().AsTask().GetAwaiter().GetResult();
            host.Reading = false;
        }
        Audit(host, pending);
        host.ReadUpTo = highest;
    }

    private void Audit(SimulatedHost host, List<IClusterEvent> events)
    {
        if (events.Count == 0) return;
        var first = host.Stream.Count + 1;
        foreach (var e in events) host.Stream.Append(e);
        var (state, violations) = Invariants.AuditStream(_step, host.Id, host.AuditState, events, first,
            (node, ip) => _ledger.HoldersOf(ip).Contains(node));
        host.AuditState = state;
        _violations.AddRange(violations);
    }

    private static ClusterState Rebuild(IEnumerable<IClusterEvent> events)
    {
        var state = ClusterState.Empty;
        foreach (var e in events)
            if (state.TryApply(e, out var next, out _)) state = next;
        return state;
    }

    private void CheckSafety()
    {
        var hosts = Observe();
        var bound = _options.MaxStreamEvents ?? _options.DefaultMaxStreamEvents;
        if (_hosts.FirstOrDefault(h => h.Stream.Count > bound) is { } runaway)
            throw new SimulationRunawayException(runaway.Id, string.Create(CultureInfo.InvariantCulture,
                $"runaway: n{runaway.Id}'s replicated stream holds {runaway.Stream.Count:N0} events at step {_step} (bound {bound:N0}): the cluster repeats a decision for ever; the trace's last lines show which"));
        // A hung daemon's view is what it believed when it hung: it is not asked until it resumes.
        _violations.AddRange(Invariants.SinglePrimary(_step, [.. hosts.Where(h => !HostOf(h.Node).Hung)]));
        _violations.AddRange(Invariants.AddressesExclusive(_step, hosts, _ledger));
        // A hung daemon's deliveries wait outside the network queue: the cluster is not quiescent while one hangs.
        _violations.AddRange(Invariants.JournalPrefix(_step, hosts, quiescent: _network.PendingCount == 0 && !_hosts.Any(h => h.Hung)));
    }

    private List<InvariantViolation> CheckConvergence()
    {
        var hosts = Observe();
        var problems = Invariants.Convergence(_step, hosts, [.. _addresses.Select(a => a.Ip)], _ledger).ToList();
        if (problems.Count == 0) problems.AddRange(Invariants.VmsConverged(_step, hosts[0].View!.State, _vmLedger, _hosts.Length));
        return problems;
    }

    private static string Format(IEnumerable<NodeId> nodes) => "[" + string.Join(",", nodes) + "]";

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms";
}

/// <summary>The actors never became idle within a step; the run is aborted with a host-failure violation.</summary>
public sealed class SimulationLivelockException(string message) : Exception(message);

/// <summary>A host's replicated stream outgrew <see cref="SimulationOptions.MaxStreamEvents"/>; the run is aborted with a host-failure violation.</summary>
public sealed class SimulationRunawayException(NodeId host, string message) : Exception(message)
{
    public NodeId Host { get; } = host;
}
