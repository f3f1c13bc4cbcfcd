using Haven.Actors.Cluster;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Events;

/// <summary>Ask the <see cref="MonitorActor"/> for its last verdict. Reply: <see cref="MonitorStatus"/>.</summary>
public sealed record GetMonitorStatus
{
    public static readonly GetMonitorStatus Instance = new();
}

/// <summary>Begin monitoring (sent once startup ran, when the actor was created to wait for it).</summary>
public sealed record StartMonitoring
{
    public static readonly StartMonitoring Instance = new();
}

/// <summary>The last monitor round (null before the first), good rounds in a row, and what was last reported.</summary>
public sealed record MonitorStatus(MonitorOutcome? Last, int ConsecutiveGood, bool? ReportedHealthy, long Rounds);

/// <summary>
/// Every monitor interval runs the monitor event and checks that every interface carrying public addresses has
/// link; <see cref="HealthTracker"/> turns the rounds into <see cref="ReportHealth"/> messages to the ClusterActor.
/// The next round is timed from the end of the last one, so a slow monitor never piles rounds up. Created with
/// <c>waitForStart</c>, it monitors only after <see cref="StartMonitoring"/> (CTDB monitors once startup ran).
/// </summary>
public sealed class MonitorActor : Actor
{
    private readonly MonitorOptions _options;
    private readonly IEventScriptRunner _runner;
    private readonly ILinkState _links;
    private readonly IActorRef _cluster;
    private HealthTracker _tracker = HealthTracker.Initial;
    private MonitorOutcome? _last;
    private readonly bool _waitForStart;
    private long _rounds;

    public static Props Props(MonitorOptions options, IEventScriptRunner runner, ILinkState links, IActorRef cluster, bool waitForStart = false) =>
        Runtime.Props.Create(() => new MonitorActor(options, runner, links, cluster, waitForStart));

    public MonitorActor(MonitorOptions options, IEventScriptRunner runner, ILinkState links, IActorRef cluster, bool waitForStart = false)
    {
        _waitForStart = waitForStart;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
        _links = links ?? throw new ArgumentNullException(nameof(links));
        _cluster = cluster ?? throw new ArgumentNullException(nameof(cluster));
        ReceiveAsync<Tick>(_ => MonitorAsync());
        Receive<GetMonitorStatus>(_ => Sender.Tell(new MonitorStatus(_last, _tracker.ConsecutiveGood, _tracker.Reported, _rounds), Self));
        Receive<StartMonitoring>(_ =>
        {
            if (_rounds == 0 && !Timers.IsTimerActive("monitor")) Timers.StartSingleTimer("monitor", Tick.Instance, _options.Interval);
        });
    }

    protected override void PreStart()
    {
        if (!_waitForStart) Timers.StartSingleTimer("monitor", Tick.Instance, _options.Interval);
    }

    private async Task MonitorAsync()
    {
        EventRunResult result;
        try
        {
            result = await _runner.RunAsync(new ScriptEvent.Monitor(), CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result = new EventRunResult(new ScriptEvent.Monitor(), [], [e.Message], Stopped: true);
        }
        var links = _options.Interfaces.Select(i => (i, Link(i))).ToList();
        var outcome = MonitorOutcome.From(result, links);
        _last = outcome;
        _rounds++;
        var (next, report) = _tracker.Observe(outcome, _options.HealthyAfter);
        _tracker = next;
        if (report is not null)
        {
            if (report.Healthy) Log.LogInformation("Host monitor: healthy after {Rounds} good monitors", next.ConsecutiveGood);
            else Log.LogWarning("Host monitor failed: {Reason}; this host is UNHEALTHY", report.Reason);
            _cluster.Tell(report, Self);
        }
        else if (!outcome.Healthy)
        {
            Log.LogDebug("Host monitor still failing: {Reason}", outcome.Reason);
        }
        Timers.StartSingleTimer("monitor", Tick.Instance, _options.Interval);
    }

    private LinkStatus Link(string name)
    {
        try
        {
            return _links.Check(name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new LinkStatus(false, $"cannot read its link state: {e.Message}");
        }
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
