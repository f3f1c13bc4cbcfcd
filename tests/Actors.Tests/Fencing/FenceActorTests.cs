using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Fencing;

/// <summary>The FenceActor on virtual time: the rules, the fencer, the duration, duplicates and reboot-lone-host.</summary>
public sealed class FenceActorTests : HavenTestKit
{
    private static readonly NodeId N3 = new(3);
    private static readonly FenceTarget Target = new(N3, "node3", "lost from the primary partition");
    private static readonly FencingContext ThreeOfThree = new(HostsRemaining: 2, HostsConfigured: 3, Quorate: true);
    private static readonly FencingContext Alone = new(HostsRemaining: 1, HostsConfigured: 2, Quorate: true);

    private readonly RecordingFencer _fencer = new();
    private readonly RecordingSelfReboot _reboot = new();

    private (IActorRef Actor, TestProbe Dc) Start(ISelfReboot? selfReboot = null)
    {
        _fencer.Clock = Clock;
        var dc = CreateTestProbe("dc");
        return (ActorOf(FenceActor.Props(_fencer, selfReboot), "fence"), dc);
    }

    [Fact]
    public void FenceNode_RulesProceed_RunsTheFencerAndAnswersWithItsResultAndDuration()
    {
        var (actor, dc) = Start();
        _fencer.Takes = TimeSpan.FromSeconds(4);

        dc.Send(actor, new FenceNode(Target, 17, ThreeOfThree, new FencingPolicy()));
        RunUntilIdle();
        Assert.Equal(0, dc.PendingCount);
        Advance(TimeSpan.FromSeconds(4));

        var outcome = dc.ExpectMsg<FenceOutcome>();
        Assert.Equal(new FenceOutcome(N3, 17, new FenceResult(true, "pdu1", "off"), 4.0), outcome);
        Assert.Equal([Target], _fencer.Calls);
    }

    [Fact]
    public void FenceNode_RepeatWhileInFlight_IgnoredTheNodeIsFencedOnceAndAnsweredOnce()
    {
        var (actor, dc) = Start();
        _fencer.Takes = TimeSpan.FromSeconds(10);

        dc.Send(actor, new FenceNode(Target, 17, ThreeOfThree, new FencingPolicy()));
        Advance(TimeSpan.FromSeconds(3));
        dc.Send(actor, new FenceNode(Target, 17, ThreeOfThree, new FencingPolicy()));
        Advance(TimeSpan.FromSeconds(7));

        Assert.Equal(10.0, dc.ExpectMsg<FenceOutcome>().Seconds);
        dc.ExpectNoMsg(TimeSpan.FromSeconds(20));
        Assert.Single(_fencer.Calls);

        dc.Send(actor, new FenceNode(Target, 17, ThreeOfThree, new FencingPolicy())); // no longer in flight: a new attempt
        Advance(TimeSpan.FromSeconds(10));
        Assert.True(dc.ExpectMsg<FenceOutcome>().Result.Success);
        Assert.Equal(2, _fencer.Calls.Count);
    }

    [Theory]
    [InlineData(false, 1, true, "fencing is disabled")]
    [InlineData(true, 3, true, "min-hosts = 3")]
    [InlineData(true, 1, false, "no quorum")]
    public void FenceNode_RulesRefuse_AnsweredAsAFailureWithTheRuleAndTheFencerIsNotCalled(bool enabled, int minHosts, bool quorate, string reason)
    {
        var (actor, dc) = Start();
        var policy = new FencingPolicy { Enabled = enabled, MinHosts = minHosts };

        dc.Send(actor, new FenceNode(Target, 5, ThreeOfThree with { Quorate = quorate }, policy));

        var outcome = dc.ExpectMsg<FenceOutcome>();
        Assert.False(outcome.Result.Success);
        Assert.StartsWith("refused by the fencing rules: ", outcome.Result.Detail);
        Assert.Contains(reason, outcome.Result.Detail);
        Assert.Equal(!enabled, outcome.Result.Impossible); // only fencing off cannot change with the membership
        Assert.Equal(0.0, outcome.Seconds);
        Assert.Empty(_fencer.Calls);
    }

    [Fact]
    public void FenceNode_FencerThrowsOrFaults_AnsweredAsAFailureWithTheError()
    {
        var (actor, dc) = Start();
        _fencer.Throw = new InvalidOperationException("no topology for node3");
        dc.Send(actor, new FenceNode(Target, 5, ThreeOfThree, new FencingPolicy()));
        Assert.Equal(new FenceResult(false, "", "no topology for node3"), dc.ExpectMsg<FenceOutcome>().Result);

        _fencer.Throw = null;
        _fencer.Fault = new TimeoutException("pdu1 did not answer");
        dc.Send(actor, new FenceNode(Target, 6, ThreeOfThree, new FencingPolicy()));
        Assert.Equal(new FenceResult(false, "", "pdu1 did not answer"), dc.ExpectMsg<FenceOutcome>().Result);
    }

    [Fact]
    public void RebootLoneHost_Alone_RebootsOnceWithTheReasonAndFencesNothing_RetriesAndOtherTargetsDoNotRebootAgain()
    {
        var (actor, dc) = Start(_reboot);
        var policy = new FencingPolicy { RebootLoneHost = true };

        dc.Send(actor, new FenceNode(Target, 40, Alone, policy));
        var first = dc.ExpectMsg<FenceOutcome>();
        dc.Send(actor, new FenceNode(Target, 40, Alone, policy)); // the same request again
        dc.ExpectMsg<FenceOutcome>();
        foreach (var retry in new long[] { 44, 48, 52 }) // the DC's retries after its backoff are new requests
        {
            dc.Send(actor, new FenceNode(Target, retry, Alone, policy));
            Assert.False(dc.ExpectMsg<FenceOutcome>().Result.Success);
        }
        dc.Send(actor, new FenceNode(Target with { Node = new NodeId(2), Name = "node2" }, 53, Alone, policy));
        Assert.Contains("node2 is not fenced", dc.ExpectMsg<FenceOutcome>().Result.Detail);

        Assert.False(first.Result.Success);
        Assert.Contains("reboot-lone-host is on", first.Result.Detail);
        Assert.Contains("node3 is not fenced", first.Result.Detail);
        var reason = Assert.Single(_reboot.Reasons);
        Assert.Contains("reboots itself instead of fencing", reason);
        Assert.Empty(_fencer.Calls);
    }

    [Fact]
    public void RebootLoneHost_AloneAgainAfterAVerdictThatWasNotAlone_RebootsAgain()
    {
        var (actor, dc) = Start(_reboot);
        var policy = new FencingPolicy { RebootLoneHost = true };

        dc.Send(actor, new FenceNode(Target, 40, Alone, policy));
        dc.ExpectMsg<FenceOutcome>();
        dc.Send(actor, new FenceNode(Target, 60, ThreeOfThree, policy)); // peers back: fenced normally
        Assert.True(dc.ExpectMsg<FenceOutcome>().Result.Success);
        dc.Send(actor, new FenceNode(Target, 90, Alone, policy));
        dc.ExpectMsg<FenceOutcome>();

        Assert.Equal(2, _reboot.Reasons.Count);
        Assert.Single(_fencer.Calls);
    }

    [Fact]
    public void RebootLoneHost_RebootFails_TheActorGoesOnAndDoesNotRetryTheReboot()
    {
        var (actor, dc) = Start(_reboot);
        _reboot.Fail = new IOException("systemctl: not found");
        var policy = new FencingPolicy { RebootLoneHost = true };

        dc.Send(actor, new FenceNode(Target, 40, Alone, policy));
        dc.ExpectMsg<FenceOutcome>();
        dc.Send(actor, new FenceNode(Target, 40, Alone, policy));
        dc.ExpectMsg<FenceOutcome>();
        dc.Send(actor, new FenceNode(Target, 41, Alone with { HostsRemaining = 2 }, policy)); // not alone any more: fences

        Assert.True(dc.ExpectMsg<FenceOutcome>().Result.Success);
        Assert.Single(_reboot.Reasons);
    }

    [Fact]
    public void RebootLoneHost_NoSelfRebootWired_AnswersTheSameAndFencesNothing()
    {
        var (actor, dc) = Start(selfReboot: null);

        dc.Send(actor, new FenceNode(Target, 40, Alone, new FencingPolicy { RebootLoneHost = true }));

        Assert.Contains("node3 is not fenced", dc.ExpectMsg<FenceOutcome>().Result.Detail);
        Assert.Empty(_fencer.Calls);
    }

    [Fact]
    public void RebootLoneHost_Off_TheLoneSurvivorFencesItsPeer()
    {
        var (actor, dc) = Start(_reboot);

        dc.Send(actor, new FenceNode(Target, 40, Alone, new FencingPolicy()));

        Assert.True(dc.ExpectMsg<FenceOutcome>().Result.Success);
        Assert.Empty(_reboot.Reasons);
    }

    private sealed class RecordingFencer : IFencer
    {
        public VirtualClock? Clock { get; set; }
        public TimeSpan Takes { get; set; }
        public Exception? Throw { get; set; }
        public Exception? Fault { get; set; }
        public List<FenceTarget> Calls { get; } = [];

        public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken)
        {
            if (Throw is { } e) throw e;
            Calls.Add(target);
            if (Fault is { } fault) return Task.FromException<FenceResult>(fault);
            var result = new FenceResult(true, "pdu1", "off");
            if (Takes <= TimeSpan.Zero) return Task.FromResult(result);
            var done = new TaskCompletionSource<FenceResult>();
            ITimer? timer = null;
            timer = Clock!.CreateTimer(_ =>
            {
                timer?.Dispose();
                done.TrySetResult(result);
            }, null, Takes, Timeout.InfiniteTimeSpan);
            return done.Task;
        }
    }

    private sealed class RecordingSelfReboot : ISelfReboot
    {
        public List<string> Reasons { get; } = [];
        public Exception? Fail { get; set; }

        public Task RebootAsync(string reason, CancellationToken cancellationToken)
        {
            Reasons.Add(reason);
            return Fail is { } e ? Task.FromException(e) : Task.CompletedTask;
        }
    }
}
