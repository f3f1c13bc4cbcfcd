using Haven.Actors.Alerts;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Actors.Tests.Alerts;

public sealed class AlertDispatcherTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly VirtualClock clock = new(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingSender sender = new();

    private AlertDispatcher Dispatcher(int max = 2) => new(
        new AlertSettings { MaxPerPeriod = max, Period = TimeSpan.FromHours(1), DedupWindow = TimeSpan.FromMinutes(10) },
        sender,
        clock,
        NullLogger<AlertDispatcher>.Instance);

    [Fact]
    public async Task Publish_ClusterEvent_MailsTheAlertItMapsTo()
    {
        using var dispatcher = Dispatcher();
        var state = ClusterState.Empty.ApplyAll([new NodeJoined(new NodeId(1), "alpha"), new NodeUp(new NodeId(1))]);

        await dispatcher.Publish(state, new FenceFailed(new NodeId(1), "no route")).WaitAsync(Bound);

        Assert.Equal("fence-failed:1", Assert.Single(sender.Mails).Alerts.Single().Alert.Key);
    }

    [Fact]
    public async Task Publish_OverTheLimit_TimerSendsTheSummaryWhenThePeriodEnds()
    {
        using var dispatcher = Dispatcher();
        for (var i = 0; i < 5; i++)
        {
            await dispatcher.Publish(new Alert(AlertKind.Failover, $"k{i}", $"alert {i}")).WaitAsync(Bound);
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(2, sender.Mails.Count);
        clock.Advance(TimeSpan.FromMinutes(54));
        Assert.Equal(2, sender.Mails.Count);

        clock.Advance(TimeSpan.FromMinutes(1));
        await sender.WaitForAsync(3).WaitAsync(Bound);

        Assert.True(sender.Mails[2].IsSummary);
        Assert.Equal(["k2", "k3", "k4"], sender.Mails[2].Alerts.Select(a => a.Alert.Key));
        Assert.Empty(dispatcher.Book.Held);
        Assert.Equal(0, clock.ActiveTimerCount);
    }

    [Fact]
    public async Task Publish_SenderFails_LaterMailsStillGoOut()
    {
        using var dispatcher = Dispatcher(max: 5);
        sender.FailNext = true;

        await dispatcher.Publish(new Alert(AlertKind.Fence, "a", "first")).WaitAsync(Bound);
        await dispatcher.Publish(new Alert(AlertKind.Fence, "b", "second")).WaitAsync(Bound);

        Assert.Equal(["b"], sender.Mails.Select(m => m.Alerts.Single().Alert.Key));
    }

    [Fact]
    public async Task Dispose_WithHeldAlerts_CancelsTheTimer()
    {
        var dispatcher = Dispatcher(max: 1);
        await dispatcher.Publish(new Alert(AlertKind.Fence, "a", "first")).WaitAsync(Bound);
        await dispatcher.Publish(new Alert(AlertKind.Fence, "b", "second")).WaitAsync(Bound);
        Assert.Equal(1, clock.ActiveTimerCount);

        dispatcher.Dispose();
        clock.Advance(TimeSpan.FromHours(2));

        Assert.Single(sender.Mails);
        Assert.Equal(0, clock.ActiveTimerCount);
    }

    private sealed class RecordingSender : IAlertSender
    {
        private readonly Lock gate = new();
        private readonly List<AlertMail> mails = [];
        private readonly List<(int Count, TaskCompletionSource Done)> waiters = [];

        public bool FailNext { get; set; }

        public IReadOnlyList<AlertMail> Mails { get { lock (gate) return [.. mails]; } }

        public Task SendAsync(AlertMail mail, CancellationToken cancellationToken)
        {
            lock (gate)
            {
                if (FailNext)
                {
                    FailNext = false;
                    throw new InvalidOperationException("smtp down");
                }

                mails.Add(mail);
                foreach (var w in waiters.Where(w => mails.Count >= w.Count)) w.Done.TrySetResult();
            }

            return Task.CompletedTask;
        }

        public Task WaitForAsync(int count)
        {
            lock (gate)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (mails.Count >= count) done.SetResult();
                else waiters.Add((count, done));
                return done.Task;
            }
        }
    }
}
