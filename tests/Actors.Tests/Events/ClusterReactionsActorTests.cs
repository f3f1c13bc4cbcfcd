using System.Collections.Immutable;
using Haven.Actors.Alerts;
using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Actors.Membership;
using Haven.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Actors.Tests.Events;

public class ClusterReactionsActorTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2);

    private sealed class RecordingController : IConntrackController
    {
        public List<string> Plans { get; } = [];
        public bool Fail { get; set; }
        public ConntrackRole RecordedRole { get; private set; } = ConntrackRole.Backup;

        public Task ExecuteAsync(ConntrackPlan plan, CancellationToken cancellationToken)
        {
            if (Fail) return Task.FromException(new InvalidOperationException("can't connect: is conntrackd running?"));
            Plans.Add(string.Join(" ", plan.Commands.Select(c => c.Argument())));
            RecordedRole = plan.Role;
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingSender : IAlertSender
    {
        public List<AlertMail> Mails { get; } = [];

        public bool Has(Func<AlertMail, bool> match)
        {
            lock (Mails) return Mails.Any(match);
        }

        public Task SendAsync(AlertMail mail, CancellationToken cancellationToken)
        {
            lock (Mails) Mails.Add(mail);
            return Task.CompletedTask;
        }
    }

    private static ClusterState TwoUp() => ClusterState.Empty.ApplyAll(
        [new NodeJoined(N1, "node1"), new NodeUp(N1), new NodeJoined(N2, "node2"), new NodeUp(N2)]);

    private void Apply(ref ClusterState state, IClusterEvent e)
    {
        Sys.EventStream.Publish(new ClusterEventApplied(state.Version + 1, state, e));
        state = state.Apply(e);
        RunUntilIdle();
    }

    [Fact]
    public void GroupTakenByThisHost_Promotes_ReleasedDemotes_AlertsMailed()
    {
        var controller = new RecordingController();
        var sender = new RecordingSender();
        using var alerts = new AlertDispatcher(new AlertSettings { Enabled = true, To = ["ops@example.org"] }, sender, Clock, NullLogger<AlertDispatcher>.Instance);
        var cluster = CreateTestProbe();
        Sys.ActorOf(ClusterReactionsActor.Props(new ClusterReactionsOptions(alerts, new ConntrackPolicy(["10.0.0.1"], N1), controller,
            cluster.Ref, TimeSpan.FromSeconds(10))), "reactions");
        RunUntilIdle();
        var state = TwoUp();

        Apply(ref state, new IpTaken("eth0", "10.0.0.1", 24, N1));
        Assert.Equal(["-c -f -R -B"], controller.Plans);
        Assert.Equal(ConntrackRole.Master, controller.RecordedRole);

        Apply(ref state, new IpReleased("eth0", "10.0.0.1", 24, N1));
        Assert.Equal(ConntrackRole.Backup, controller.RecordedRole);
        Assert.Equal(2, controller.Plans.Count);

        Apply(ref state, new NodeDown(N2, "lost"));
        Apply(ref state, new FenceRequested(N2, N1, "lost from the primary partition"));
        Assert.True(SpinWait.SpinUntil(() => RunUntilIdle() >= 0 && sender.Has(m => m.Body.Contains("node2") || m.Subject.Contains("node2")), TimeSpan.FromSeconds(10)),
            "no alert mail names node2");
    }

    [Fact]
    public void ConntrackdFails_AnAlertSaysSo()
    {
        var controller = new RecordingController { Fail = true };
        var sender = new RecordingSender();
        using var alerts = new AlertDispatcher(new AlertSettings { Enabled = true, To = ["ops@example.org"],
            Triggers = [AlertKind.Conntrack] }, sender, Clock, NullLogger<AlertDispatcher>.Instance);
        Sys.ActorOf(ClusterReactionsActor.Props(new ClusterReactionsOptions(alerts, new ConntrackPolicy(["10.0.0.1"], N1), controller,
            CreateTestProbe().Ref, TimeSpan.FromSeconds(10))), "reactions");
        RunUntilIdle();
        var state = TwoUp();

        Apply(ref state, new IpTaken("eth0", "10.0.0.1", 24, N1));

        Assert.Equal(ConntrackRole.Backup, controller.RecordedRole);
        Assert.True(SpinWait.SpinUntil(() => RunUntilIdle() >= 0 && sender.Has(m => m.Body.Contains("is conntrackd running?")), TimeSpan.FromSeconds(10)),
            $"no alert mail about conntrackd: {sender.Mails.Count} mails; {alerts.Book}");
    }
}
