using Haven.Actors.Alerts;
using Haven.Actors.Cluster;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Events;

/// <summary>What <see cref="ClusterReactionsActor"/> reacts with; each part is optional.</summary>
/// <param name="Alerts">E-mail alerts from the applied events (haven.alerts).</param>
/// <param name="Conntrack">conntrackd master/backup decisions for the address group (haven.conntrack), with the controller that runs them.</param>
/// <param name="Cluster">This host's ClusterActor, asked every <paramref name="CheckInterval"/> whether this host is still primary.</param>
public sealed record ClusterReactionsOptions(
    AlertDispatcher? Alerts,
    ConntrackPolicy? Conntrack,
    IConntrackController? Controller,
    IActorRef Cluster,
    TimeSpan CheckInterval);

/// <summary>
/// Reacts to the replicated events this host applies (<see cref="ClusterEventApplied"/> on the event stream):
/// sends alerts, and keeps conntrackd master where the address group is (seed 004). Every check interval it also
/// asks the ClusterActor for its view: a host that is no longer in the primary partition demotes conntrackd
/// locally (its state may be stale), and a master's conntrackd is monitored (<c>-s</c>); a failing conntrackd
/// raises an alert. conntrackd plans run one at a time, in event order.
/// </summary>
public sealed class ClusterReactionsActor : Actor
{
    private readonly ClusterReactionsOptions _options;
    private bool _reconciled;

    public static Props Props(ClusterReactionsOptions options) => Runtime.Props.Create(() => new ClusterReactionsActor(options));

    public ClusterReactionsActor(ClusterReactionsOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ReceiveAsync<ClusterEventApplied>(OnAppliedAsync);
        Receive<Check>(_ =>
        {
            var self = Self;
            _options.Cluster.Ask<ClusterView>(GetClusterView.Instance, TimeSpan.FromSeconds(10)).ContinueWith(
                t => self.Tell(t.IsCompletedSuccessfully ? t.Result : new CheckFailed(), self), TaskScheduler.Default);
        });
        ReceiveAsync<ClusterView>(OnViewAsync);
        Receive<CheckFailed>(_ => { });
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe<ClusterEventApplied>(Self);
        if (_options.Conntrack is not null) Timers.StartPeriodicTimer("check", Check.Instance, _options.CheckInterval);
    }

    private async Task OnAppliedAsync(ClusterEventApplied applied)
    {
        // The dispatcher sends on the thread pool, never on the actor's task scheduler.
        if (_options.Alerts is { } alerts) _ = Task.Run(() => alerts.Publish(applied.Before, applied.Event));
        if (_options.Conntrack is not { } policy || _options.Controller is not { } controller) return;
        if (!applied.Before.TryApply(applied.Event, out var after, out _)) return;
        var plan = _reconciled ? policy.Decide(controller.RecordedRole, applied.Before, after) : policy.Reconcile(controller.RecordedRole, after);
        _reconciled = true;
        await RunAsync(controller, plan);
    }

    private async Task OnViewAsync(ClusterView view)
    {
        if (_options.Controller is not { } controller) return;
        var role = controller.RecordedRole;
        var plan = view.Role != PartitionRole.Primary && role == ConntrackRole.Master
            ? ConntrackPolicy.DemoteLocally(role, $"this host is {view.Role.ToString().ToLowerInvariant()}, not in the primary partition")
            : role == ConntrackRole.Master ? ConntrackPolicy.Monitor(role) : null;
        if (plan is not null) await RunAsync(controller, plan);
    }

    private async Task RunAsync(IConntrackController controller, ConntrackPlan plan)
    {
        if (plan.IsEmpty) return;
        try
        {
            await controller.ExecuteAsync(plan, CancellationToken.None);
            if (plan.Transition != ConntrackTransition.None) Log.LogInformation("conntrackd: {Plan}", plan);
        }
        catch (Exception e)
        {
            Log.LogError("conntrackd {Plan} failed: {Reason}", plan, e.Message);
            if (_options.Alerts is { } alerts)
                _ = Task.Run(() => alerts.Publish(new Alert(AlertKind.Conntrack, $"conntrack:{plan.Transition}", $"conntrackd {plan} failed: {e.Message}")));
        }
    }

    private sealed record Check
    {
        public static readonly Check Instance = new();
    }

    private sealed record CheckFailed;
}
