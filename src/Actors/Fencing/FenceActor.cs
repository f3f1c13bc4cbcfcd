using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Fencing;

/// <summary>
/// Executes fencing for the designated coordinator: a child of the <see cref="Coordinator.CoordinatorActor"/>, which keeps everything
/// that depends on the replicated state (which requests are open, the priority delay, retries, the events it
/// proposes) and sends one <see cref="FenceNode"/> per attempt. The FenceActor applies HA-Lizard's rules
/// (<see cref="FencingRules.Decide"/>) with the policy the request carries, runs the <see cref="IFencer"/>
/// (levels, devices, timeouts) on a Proceed, and answers with a <see cref="FenceOutcome"/> timed on the actor
/// system's clock. A repeat of a request still in flight (same node, same request) is ignored, so a node is
/// never powered off twice at once for one request. On a RebootSelf verdict (reboot-lone-host) it calls
/// <see cref="ISelfReboot"/> once while this host is alone and answers with a failure: the other host is not
/// fenced. The DC retries a failed fence as a new request, with backoff; those retries, and the requests for
/// the other lost hosts, never reboot again (no reboot loop when the reboot did not happen) — only a request
/// the rules answer otherwise (this host is no longer alone, or the rule was switched off) ends the episode.
/// </summary>
public sealed class FenceActor : Actor
{
    private readonly IFencer _fencer;
    private readonly ISelfReboot? _selfReboot;
    private readonly Dictionary<(NodeId Node, long RequestAt), InFlight> _inFlight = [];

    // Set once this host asked to reboot itself while alone: never again until a verdict says it is not alone.
    private bool _rebootedWhileAlone;

    public static Props Props(IFencer fencer, ISelfReboot? selfReboot = null) =>
        Runtime.Props.Create(() => new FenceActor(fencer, selfReboot));

    public FenceActor(IFencer fencer, ISelfReboot? selfReboot = null)
    {
        _fencer = fencer ?? throw new ArgumentNullException(nameof(fencer));
        _selfReboot = selfReboot;
        Receive<FenceNode>(OnFence);
        Receive<FenceDone>(OnFenceDone);
        Receive<SelfRebootFailed>(m => Log.LogError("This host could not reboot itself: {Error}; it is still running and fences nothing", m.Error));
    }

    private DateTimeOffset Now => Context.System.TimeProvider.GetUtcNow();

    private void OnFence(FenceNode request)
    {
        var key = (request.Target.Node, request.RequestAt);
        if (_inFlight.ContainsKey(key))
        {
            Log.LogDebug("Fencing {Node} for request #{RequestAt} is already under way; the repeat is ignored", request.Target.Name, request.RequestAt);
            return;
        }
        _inFlight[key] = new InFlight(Sender, Now);
        var decision = FencingRules.Decide(request.Policy, request.Context);
        if (decision.Verdict != FenceVerdict.RebootSelf) _rebootedWhileAlone = false;
        switch (decision.Verdict)
        {
            case FenceVerdict.Refuse:
                Complete(key, new FenceResult(false, "", $"refused by the fencing rules: {decision.Reason}", Impossible: !request.Policy.Enabled));
                return;
            case FenceVerdict.RebootSelf:
                RebootSelf(request, decision.Reason);
                Complete(key, new FenceResult(false, "", $"{decision.Reason} ({request.Target.Name} is not fenced)"));
                return;
        }
        Log.LogInformation("Fencing {Node} ({Reason})", request.Target.Name, request.Target.Reason);
        Task<FenceResult> fence;
        try
        {
            fence = _fencer.FenceAsync(request.Target, CancellationToken.None);
        }
        catch (Exception e)
        {
            fence = Task.FromException<FenceResult>(e);
        }
        var self = Self;
        fence.ContinueWith(t => self.Tell(new FenceDone(key.Node, key.RequestAt, t.IsCompletedSuccessfully
                ? t.Result
                : new FenceResult(false, "", t.Exception?.GetBaseException().Message ?? "fencing was cancelled")), self),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnFenceDone(FenceDone done) => Complete((done.Node, done.RequestAt), done.Result);

    private void Complete((NodeId Node, long RequestAt) key, FenceResult result)
    {
        if (!_inFlight.Remove(key, out var flight)) return;
        var seconds = Math.Round((Now - flight.Started).TotalSeconds, 3);
        flight.ReplyTo.Tell(new FenceOutcome(key.Node, key.RequestAt, result, seconds), Self);
    }

    /// <summary>reboot-lone-host: at most once while this host is alone; a retry or another target only answers again.</summary>
    private void RebootSelf(FenceNode request, string reason)
    {
        if (_rebootedWhileAlone)
        {
            Log.LogWarning("Not fencing {Node}: {Reason}; this host already asked to reboot itself while alone", request.Target.Name, reason);
            return;
        }
        _rebootedWhileAlone = true;
        if (_selfReboot is null)
        {
            Log.LogWarning("Not fencing {Node}: {Reason}; no self-reboot is wired into this host, so it keeps running", request.Target.Name, reason);
            return;
        }
        Log.LogError("Not fencing {Node}: {Reason}; rebooting this host", request.Target.Name, reason);
        Task reboot;
        try
        {
            reboot = _selfReboot.RebootAsync(reason, CancellationToken.None);
        }
        catch (Exception e)
        {
            reboot = Task.FromException(e);
        }
        var self = Self;
        reboot.ContinueWith(t => self.Tell(new SelfRebootFailed(t.Exception?.GetBaseException().Message ?? "cancelled"), self),
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private sealed record InFlight(IActorRef ReplyTo, DateTimeOffset Started);

    private sealed record FenceDone(NodeId Node, long RequestAt, FenceResult Result);

    private sealed record SelfRebootFailed(string Error);
}
