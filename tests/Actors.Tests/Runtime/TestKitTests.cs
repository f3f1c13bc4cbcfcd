using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

public sealed class TestKitTests : HavenTestKit
{
    [Fact]
    public void ExpectMsg_WrongMessage_FailsNamingExpectedAndReceived()
    {
        var probe = CreateTestProbe();
        probe.Tell(new Ping(1), null);
        var ex = Assert.Throws<TestKitAssertionException>(() => probe.ExpectMsg(new Pong(1)));
        Assert.Contains("expected Pong", ex.Message);
        Assert.Contains("received Ping", ex.Message);
    }

    [Fact]
    public void ExpectMsg_NothingArrives_FailsAfterVirtualTimeoutWithoutSleeping()
    {
        var probe = CreateTestProbe();
        var start = Clock.GetUtcNow();
        var ex = Assert.Throws<TestKitAssertionException>(() => probe.ExpectMsg<Pong>(timeout: TimeSpan.FromHours(1)));
        Assert.Contains("timeout", ex.Message);
        Assert.Contains("Pong", ex.Message);
        Assert.Equal(TimeSpan.FromHours(1), Clock.GetUtcNow() - start);
    }

    [Fact]
    public void ExpectNoMsg_MessageArrives_Fails()
    {
        var probe = CreateTestProbe();
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(2), probe, "late", null);
        var ex = Assert.Throws<TestKitAssertionException>(() => probe.ExpectNoMsg(TimeSpan.FromSeconds(5)));
        Assert.Contains("late", ex.Message);
        Assert.Equal(TimeSpan.FromSeconds(2), Clock.GetUtcNow() - new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void FishForMessage_SkipsNonMatching_AndReportsSkippedOnTimeout()
    {
        var probe = CreateTestProbe();
        probe.Tell(1, null);
        probe.Tell("two", null);
        probe.Tell(3, null);
        Assert.Equal(3, probe.FishForMessage<int>(n => n > 2));
        probe.Tell(0, null);
        var ex = Assert.Throws<TestKitAssertionException>(() => probe.FishForMessage<int>(n => n > 2, TimeSpan.FromSeconds(1)));
        Assert.Contains("Int32 0", ex.Message);
    }

    [Fact]
    public void ReceiveN_TooFew_FailsListingWhatArrived()
    {
        var probe = CreateTestProbe();
        probe.Tell("a", null);
        var ex = Assert.Throws<TestKitAssertionException>(() => probe.ReceiveN(2, TimeSpan.FromSeconds(1)));
        Assert.Contains("expected 2 messages", ex.Message);
        Assert.Contains("String a", ex.Message);
    }

    [Fact]
    public void Reply_GoesToLastSender_AndExpectMsgAnyOfAcceptsCandidates()
    {
        var probe = CreateTestProbe();
        var other = CreateTestProbe();
        other.Send(probe, "question");
        probe.ExpectMsgAnyOf("nope", "question");
        Assert.Equal(other, probe.LastSender);
        probe.Reply("answer");
        other.ExpectMsg("answer");
        Assert.Equal(probe, other.LastSender);
    }

    [Fact]
    public void AwaitResult_TaskNeverCompletes_FailsAfterVirtualTimeout()
    {
        var never = new TaskCompletionSource<int>().Task;
        Assert.Throws<TestKitAssertionException>(() => AwaitResult(never, TimeSpan.FromMinutes(5)));
        Assert.Equal(TimeSpan.FromMinutes(5), Clock.GetUtcNow() - new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }
}
