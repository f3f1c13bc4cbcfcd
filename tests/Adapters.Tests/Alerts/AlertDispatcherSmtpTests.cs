using Haven.Actors.Alerts;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Adapters.Alerts;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Tests.Alerts;

/// <summary>Replicated events through the dispatcher and the SMTP client to a real (Python) SMTP server.</summary>
public sealed class AlertDispatcherSmtpTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task FlappingNode_SendsTheLimitThenOneSummaryMail()
    {
        using var server = await SmtpTestServer.StartAsync();
        var clock = new VirtualClock(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
        var settings = new AlertSettings
        {
            ClusterName = "prod",
            SmtpHost = "127.0.0.1",
            SmtpPort = server.Port,
            To = ["ops@example.com"],
            MaxPerPeriod = 2,
            Period = TimeSpan.FromHours(1),
            DedupWindow = TimeSpan.FromMinutes(10),
        };
        using var dispatcher = new AlertDispatcher(settings, new SmtpAlertSender(settings, NullLogger<SmtpAlertSender>.Instance), clock, NullLogger<AlertDispatcher>.Instance);
        var n2 = new NodeId(2);
        var state = ClusterState.Empty.ApplyAll([new NodeJoined(new NodeId(1), "alpha"), new NodeUp(new NodeId(1)), new NodeJoined(n2, "beta"), new NodeUp(n2)]);

        // beta flaps every 15 minutes for 45 minutes: unhealthy, healthy, unhealthy, ...
        for (var i = 0; i < 4; i++)
        {
            var e = new NodeUnhealthy(n2, $"monitor failed ({i})");
            await dispatcher.Publish(state, e).WaitAsync(Bound);
            state = state.Apply(e).Apply(new NodeHealthy(n2));
            clock.Advance(TimeSpan.FromMinutes(15));
        }

        var first = await server.NextMessageAsync();
        var second = await server.NextMessageAsync();
        Assert.False(server.TryTakeMessage(out _));
        clock.Advance(TimeSpan.FromMinutes(15));
        var summary = await server.NextMessageAsync();

        Assert.Contains("Subject: [prod] unhealthy: beta (node 2) is unhealthy: monitor failed (0)", first.GetProperty("data").GetString(), StringComparison.Ordinal);
        Assert.Contains("monitor failed (1)", second.GetProperty("data").GetString(), StringComparison.Ordinal);
        var body = summary.GetProperty("data").GetString()!;
        Assert.Contains("Subject: [prod] summary: 2 alert(s) (2 unhealthy)", body, StringComparison.Ordinal);
        Assert.Contains("monitor failed (2)", body, StringComparison.Ordinal);
        Assert.Contains("monitor failed (3)", body, StringComparison.Ordinal);
        Assert.Equal("", server.Errors);
    }
}
