using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Placement;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Control;

/// <summary>/v1/vms: the managed VMs as this host's state has them, and the operator's VM commands.</summary>
internal static class VmApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The shutdown-lock-limit this daemon started with (zero: none), for the expiry `haven vm locate` shows.</summary>
    private static TimeSpan LockLimit(DaemonState state)
    {
        try
        {
            return state.StartedWith is { } started ? VmConfig.Read(started.Config).Policy.ShutdownLockLimit : TimeSpan.Zero;
        }
        catch (ConfigException)
        {
            return TimeSpan.Zero;
        }
    }

    public static void Map(WebApplication app, DaemonState state)
    {
        app.MapGet("/v1/vms", async () =>
        {
            var view = await ClusterOf(state).Ask<ClusterView>(GetClusterView.Instance, AskTimeout);
            return Results.Json(view.State.Vms.Values.Select(v => VmView.From(view.State, v)).ToList(), ServerJson.Options);
        });

        app.MapGet("/v1/vms/{name}", async (string name) =>
        {
            var view = await ClusterOf(state).Ask<ClusterView>(GetClusterView.Instance, AskTimeout);
            return view.State.Vms.TryGetValue(VmSpecRules.Canonical(name), out var vm)
                ? Results.Json(VmDetailView.From(view.State, vm, LockLimit(state)), ServerJson.Options)
                : Error($"VM '{VmSpecRules.Canonical(name)}' is not managed", 404);
        });

        app.MapGet("/v1/vms/{name}/explain", async (string name) =>
        {
            var answer = await ClusterOf(state).Ask<object>(new ExplainVm(name), AskTimeout);
            return answer is VmExplanation e
                ? Results.Json(new { vm = e.Vm, lines = e.Lines }, ServerJson.Options)
                : Answer((OperatorCommandResult)answer);
        });

        app.MapPost("/v1/vms", async (AddVmRequest? request) =>
        {
            if (request?.Name is not { Length: > 0 } || request.Hypervisor is null || request.Config is null)
                return Error("the request needs name, hypervisor and config: {\"name\": …, \"hypervisor\": …, \"config\": …}", 400);
            var onFail = VmOnFailPolicy.Default;
            foreach (var text in request.OnFail ?? [])
                if (VmSpecRules.ParseOnFail(text ?? "", ref onFail) is { } wrong) return Error(wrong, 400);
            var multiple = request.MultipleActive is null ? VmMultipleActive.StopStart : VmMultipleActiveNames.Parse(request.MultipleActive);
            if (multiple is null) return Error($"multipleActive '{request.MultipleActive}' is not stop_start, stop_only or block", 400);
            var spec = new VmSpec(request.Name, request.Hypervisor, request.Config, request.Cpu, request.Memory,
                [.. (request.Preferences ?? []).Select(p => new NodePreference(p.Node ?? "", p.Score))],
                request.AllowMigrate, request.Priority, request.Ha ?? true)
            {
                With = [.. (request.With ?? []).Select(c => new VmConstraint(VmSpecRules.Canonical(c.Vm ?? ""), c.Score ?? PlacementScores.Infinity))],
                Apart = [.. (request.Apart ?? []).Select(c => new VmConstraint(VmSpecRules.Canonical(c.Vm ?? ""), c.Score ?? PlacementScores.Infinity))],
                Group = request.Group is { Length: > 0 } g ? VmSpecRules.Canonical(g) : null,
                Order = request.Order,
                StartDelay = TimeSpan.FromSeconds(Math.Clamp(request.StartDelaySeconds, -1, 86_401)),
                OnFail = onFail,
                MultipleActive = multiple.Value,
            };
            if (VmSpecRules.CheckHypervisorConfig(spec) is { } unusable) return Error(unusable, 400);
            return await Ask(state, new AddVm(spec, request.Stopped ? VmDesiredState.Stopped : VmDesiredState.Started));
        });

        foreach (var (verb, desired) in new[]
                 {
                     ("start", VmDesiredState.Started), ("enable", VmDesiredState.Started),
                     ("stop", VmDesiredState.Stopped), ("disable", VmDesiredState.Disabled),
                 })
            app.MapPost($"/v1/vms/{{name}}/{verb}", async (string name) => await Ask(state, new SetVmDesired(name, desired)));

        app.MapPost("/v1/vms/{name}/remove", async (string name, RemoveRequest? request) => await Ask(state, new RemoveVm(name, request?.Force == true)));

        app.MapPost("/v1/vms/{name}/cleanup", async (string name, NodeRequest? request) =>
            await Ask(state, new CleanupVm(name, request?.Node is { Length: > 0 } node ? node : null)));

        foreach (var (verb, managed) in new[] { ("manage", true), ("unmanage", false) })
            app.MapPost($"/v1/vms/{{name}}/{verb}", async (string name) => await Ask(state, new SetVmManaged(name, managed)));

        app.MapPost("/v1/vms/{name}/clear", async (string name) => await Ask(state, new ClearVmMove(name)));

        app.MapPost("/v1/vms/{name}/migrate", async (string name, NodeRequest? request) =>
            request?.Node is { Length: > 0 } node
                ? await Ask(state, new MigrateVm(name, node))
                : Error("the request needs a node name: {\"node\": \"NAME\"}", 400));

        app.MapPost("/v1/vms/{name}/ha", async (string name, HaRequest? request) =>
            request?.Enabled is { } enabled
                ? await Ask(state, new SetVmHa(name, enabled))
                : Error("the request needs {\"enabled\": true|false}", 400));
    }

    private static Task<IResult> Ask(DaemonState state, object command) => ClusterApi.Command(state, command);

    private static IActorRef ClusterOf(DaemonState state) => state.ClusterActor ?? throw new InvalidOperationException("the cluster actor is not running");

    private static IResult Answer(OperatorCommandResult result) => result.Accepted
        ? Results.Json(new { message = result.Message }, ServerJson.Options)
        : Error(result.Message, 400);

    private static IResult Error(string message, int status) => Results.Json(new { error = message }, ServerJson.Options, statusCode: status);
}

/// <summary>One row of `haven vm list --json`.</summary>
internal sealed record VmView(string Name, string? Node, string State, string Desired, bool Ha)
{
    public static VmView From(ClusterState state, VmInfo vm) =>
        new(vm.Name, NodeName(state, vm.Node), Lower(vm.State), Lower(vm.Desired), vm.Spec.Ha);

    internal static string? NodeName(ClusterState state, Haven.Actors.Membership.NodeId? node) =>
        node is { } id ? state.Nodes.TryGetValue(id, out var info) ? info.Name : id.Unnamed : null;

    internal static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}

/// <summary>`haven vm locate NAME --json`: where the VM is and why.</summary>
internal sealed record VmDetailView(string Name, string? Node, string? Target, string State, string Desired, bool Ha,
    string Hypervisor, string Config, long Cpu, long Memory, bool AllowMigrate, int Priority, ImmutableArray<string> FailedOn, string Reason)
{
    /// <summary>VMs it runs with and never shares a node with (score 1000000 = INFINITY).</summary>
    public ImmutableArray<VmConstraint> With { get; init; } = [];

    public ImmutableArray<VmConstraint> Apart { get; init; } = [];

    /// <summary>Appliance group, start order and start delay (seconds); null group: in none.</summary>
    public string? Group { get; init; }

    public int Order { get; init; }

    public double StartDelaySeconds { get; init; }

    /// <summary>Fail counts by node name (Pacemaker's fail-count), with the last failure's time when known.</summary>
    public ImmutableSortedDictionary<string, VmFailures> FailCounts { get; init; } = ImmutableSortedDictionary<string, VmFailures>.Empty;

    /// <summary>False after `haven vm unmanage`: the cluster neither starts, stops nor moves it.</summary>
    public bool Managed { get; init; } = true;

    /// <summary>The on-fail set per operation (`monitor=block,stop=fence`; empty: Pacemaker's defaults).</summary>
    public string OnFail { get; init; } = "";

    /// <summary>Pacemaker's multiple-active: stop_start, stop_only or block.</summary>
    public string MultipleActive { get; init; } = "stop_start";

    /// <summary>Pacemaker's shutdown-lock: the node the VM is locked to, since when, and until when (null: until the node is back).</summary>
    public string? LockedTo { get; init; }

    public DateTimeOffset? LockedSince { get; init; }

    public DateTimeOffset? LockedUntil { get; init; }

    public static VmDetailView From(ClusterState state, VmInfo vm, TimeSpan lockLimit = default) =>
        new(vm.Name, VmView.NodeName(state, vm.Node), VmView.NodeName(state, vm.Target), VmView.Lower(vm.State), VmView.Lower(vm.Desired),
            vm.Spec.Ha, vm.Spec.Hypervisor, vm.Spec.Config, vm.Spec.Cpu, vm.Spec.Memory, vm.Spec.AllowMigrate, vm.Spec.Priority,
            [.. vm.FailedOn.Select(f => VmView.NodeName(state, f)!)], vm.Reason)
        {
            With = vm.Spec.With, Apart = vm.Spec.Apart, Group = vm.Spec.Group, Order = vm.Spec.Order, StartDelaySeconds = vm.Spec.StartDelay.TotalSeconds,
            FailCounts = vm.FailedOn.Union(vm.Failures.Keys).ToImmutableSortedDictionary(n => VmView.NodeName(state, n)!, vm.FailuresOn, StringComparer.Ordinal),
            Managed = !vm.Unmanaged,
            OnFail = vm.Spec.OnFail.ToString(),
            MultipleActive = VmMultipleActiveNames.Name(vm.Spec.MultipleActive),
            LockedTo = vm.Lock is { } held ? VmView.NodeName(state, held.Node) : null,
            LockedSince = vm.Lock?.At,
            LockedUntil = vm.Lock is { } h && lockLimit > TimeSpan.Zero ? h.At + lockLimit : null,
        };
}
