using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Coordinator;

/// <summary>
/// The DC: a child of the <see cref="ClusterActor"/> while this host is the designated coordinator (created at its
/// first round as DC, stopped once another host is DC, this side demoted or this host left), with the
/// <see cref="FenceActor"/> as its own child. The ClusterActor replicates; this actor decides. It keeps what only
/// the DC knows — the fences under way, the confirmations and retries, the priority-delay waits, the VM round's
/// idle cache and clock — runs <see cref="DcRound.Decide"/> when asked (<see cref="DecideRound"/>), arms the
/// round's wake-ups, starts its fences, and answers with the events to replicate (<see cref="DcProposals"/>).
/// <para>
/// The two actors run apart, so a decision may reach the ClusterActor after it applied more events. Every
/// proposal therefore names the facts it was decided on (<see cref="DcFacts.Version"/>, the view), and the
/// ClusterActor replicates it only while they are still its own; a round decided on older facts is dropped
/// (<see cref="DcRoundDropped"/>) and decided again, and the verdict on a fence outcome is reached again on the
/// facts the drop carries (<see cref="DcOutcomeDropped"/>). What a verdict teaches (a confirmation, a retry time)
/// is kept only once it was accepted (<see cref="DcOutcomeAccepted"/>); until then the fence counts as under way.
/// </para>
/// </summary>
public sealed partial class CoordinatorActor : Actor
{
    private readonly NodeId _self;
    private readonly TimeSpan _fenceRetryDelay;
    private readonly IFencer _fencer;
    private readonly ISelfReboot? _selfReboot;
    private readonly VmServices _vms;
    private DcFacts _facts;

    private ImmutableSortedSet<NodeId> _lostInMaintenance = []; // reported once per loss (DcRound)
    private ImmutableArray<object> _idleVmRound; // the DC round's idle cache (DcRound.Vms.cs)

    /// <summary>When this host, as DC, first saw each VM running (appliance-group start delays); not replicated.</summary>
    private ImmutableDictionary<string, DateTimeOffset> _vmRunningSince = ImmutableDictionary<string, DateTimeOffset>.Empty.WithComparers(StringComparer.Ordinal);

    public static Props Props(NodeId self, DcFacts facts, TimeSpan fenceRetryDelay, IFencer fencer, ISelfReboot? selfReboot, VmServices vms) =>
        Runtime.Props.Create(() => new CoordinatorActor(self, facts, fenceRetryDelay, fencer, selfReboot, vms));

    public CoordinatorActor(NodeId self, DcFacts facts, TimeSpan fenceRetryDelay, IFencer fencer, ISelfReboot? selfReboot, VmServices vms)
    {
        _self = self;
        _facts = facts ?? throw new ArgumentNullException(nameof(facts));
        _fenceRetryDelay = fenceRetryDelay;
        _fencer = fencer ?? throw new ArgumentNullException(nameof(fencer));
        _selfReboot = selfReboot;
        _vms = vms ?? throw new ArgumentNullException(nameof(vms));
        Receive<DecideRound>(OnDecideRound);
        Receive<DcApplied>(OnApplied);
        Receive<DcViewChanged>(m =>
        {
            _facts = m.Facts;
            _fencing.Clear();
        });
        Receive<DcRoundDropped>(m =>
        {
            foreach (var target in m.Reproposed) _fencing.Remove(target); // its confirmation is proposed again by a later round
        });
        Receive<FenceOutcome>(OnFenceOutcome);
        Receive<DcOutcomeAccepted>(m => OnOutcomeAccepted(m.Outcome));
        Receive<DcOutcomeDropped>(m =>
        {
            _facts = m.Facts;
            OnFenceOutcome(m.Outcome);
        });
        Receive<WakeUp>(_ => Context.Parent.Tell(DcRoundDue.Instance, Self));
    }

    /// <summary>A restart loses the round being decided: the ClusterActor is told, and asks again.</summary>
    protected override void PostRestart(Exception reason)
    {
        Log.LogError(reason, "The DC's coordinator restarted after a failure: its fencing bookkeeping starts afresh");
        Context.Parent.Tell(DcRestarted.Instance, Self);
    }

    private DateTimeOffset Now => Context.System.TimeProvider.GetUtcNow();

    private string NameOf(NodeId id) => DcRound.NameOf(_facts.Nodes, _facts.State, id);

    // ---- rounds ---------------------------------------------------------------------------------

    private void OnDecideRound(DecideRound request)
    {
        _facts = request.Facts;
        var decision = DcRound.Decide(Inputs());
        Context.Parent.Tell(CarryOut(request.Round, decision), Self);
    }

    private DcInputs Inputs() => new()
    {
        State = _facts.State,
        Self = _self,
        View = _facts.View,
        ViewIds = _facts.ViewIds,
        Configured = _facts.Configured,
        Nodes = _facts.Nodes,
        Now = Now,
        PublicAddresses = _facts.PublicAddresses,
        Restarted = _facts.Restarted,
        LostInMaintenance = _lostInMaintenance,
        Fencing = new DcFencingInputs
        {
            Policy = _facts.Policy,
            Quorate = _facts.Quorate,
            InFlight = [.. _fencing.Union(_verdicts.Keys.Select(k => k.Node))],
            RequestAt = _facts.RequestAt,
            Confirmed = _fenceConfirmed.ToImmutableDictionary(),
            NotBefore = _fenceNotBefore.ToImmutableDictionary(),
            RetryAt = _fenceRetryAt.ToImmutableDictionary(),
            Impossible = _fenceImpossible.ToImmutableDictionary(),
            NeverPossible = _fenceNeverPossible.ToImmutableDictionary(),
        },
        Vms = new DcVmInputs { Services = _vms, IdleRound = _idleVmRound, RunningSince = _vmRunningSince },
    };

    /// <summary>
    /// In the round's order: keep its bookkeeping, arm its wake-ups, then act on the open fence requests; the events
    /// (the round's batch, then each re-proposed confirmation alone) go to the ClusterActor to replicate.
    /// </summary>
    private DcProposals CarryOut(long round, DcDecision decision)
    {
        _lostInMaintenance = decision.LostInMaintenance;
        foreach (var id in decision.ExpiredImpossible) _fenceImpossible.Remove(id);
        foreach (var (id, wait) in decision.NotBefore) _fenceNotBefore[id] = wait;
        if (decision.VmRound is { } vms) (_idleVmRound, _vmRunningSince) = (vms.IdleRound, vms.RunningSince);
        foreach (var note in decision.Notes) LogNote(note);
        foreach (var wake in decision.WakeUps) Timers.StartSingleTimer(wake.Key, WakeUp.Instance, wake.After);
        var batches = ImmutableArray.CreateBuilder<ImmutableArray<IClusterEvent>>();
        var reproposed = ImmutableArray.CreateBuilder<NodeId>();
        if (decision.Events.Length > 0) batches.Add(decision.Events);
        foreach (var step in decision.Fences)
        {
            switch (step)
            {
                case FenceStep.Repropose r:
                    _fencing.Add(r.Target);
                    batches.Add([r.Event]);
                    reproposed.Add(r.Target);
                    break;
                case FenceStep.Start s:
                    _fencing.Add(s.Target);
                    FenceActorRef.Tell(s.Command, Self);
                    break;
                case FenceStep.Wait w:
                    Timers.StartSingleTimer(w.WakeUp.Key, WakeUp.Instance, w.WakeUp.After);
                    break;
            }
        }
        return new DcProposals(round, _facts.Version, _facts.ViewId, batches.ToImmutable(), reproposed.ToImmutable());
    }

    private void LogNote(DcNote note)
    {
        switch (note)
        {
            case DcNote.LostInMaintenance n:
                Log.LogWarning("Node {Node} is in maintenance and no longer a member: it is not fenced and nothing on it moves until maintenance is turned off", n.Node);
                break;
            case DcNote.NotReadmitted n:
                Log.LogInformation("Not readmitting {Node} yet: {Problem}", n.Node, n.Problem);
                break;
            case DcNote.FenceBlocked n:
                Log.LogWarning("VM {Vm}: the on-fail fence of {Node} cannot be carried out ({Reason}): blocked instead", n.Vm, n.Node, n.Reason);
                break;
            case DcNote.PriorityDelay n:
                Log.LogInformation("Waiting {Delay} before fencing {Node}: it held more than this host (priority-delay)", n.Delay, n.Node);
                break;
        }
    }

    /// <summary>A wake-up of the round came due.</summary>
    private sealed record WakeUp
    {
        public static readonly WakeUp Instance = new();
    }
}
