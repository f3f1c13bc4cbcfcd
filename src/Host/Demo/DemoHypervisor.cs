using System.Collections.Immutable;
using Haven.Actors.Placement;
using Haven.Actors.Vms;

namespace Haven.Host.Demo;

/// <summary>
/// The demo's fake hypervisor: one per host incarnation, acting on that host's domains (the VMs it runs,
/// held by the host so a powered-off host's VMs vanish with it). Starts are instant and narrated; a start
/// of a VM that already runs on another powered host is recorded as a violation (it would run twice).
/// </summary>
internal sealed class DemoHypervisor(ClusterDemo demo, ClusterDemo.DemoHost host, int incarnation) : IHypervisor
{
    public const string KindName = "process";

    /// <summary>The demo's HA VMs: each prefers one host (100) and names a second choice (50).</summary>
    public static ImmutableArray<VmAdded> Vms { get; } =
    [
        Vm("WEB-1", ("n1", 100), ("n2", 50)),
        Vm("WEB-2", ("n2", 100), ("n1", 50)),
        Vm("DB-1", ("n3", 100), ("n1", 50)),
        Vm("DB-2", ("n3", 100), ("n2", 50)),
    ];

    public string Kind => KindName;

    public bool SupportsLiveMigration => true;

    public Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken) =>
        Act(() => new VmStatus(host.Domains.Contains(vm.Name) ? VmPowerState.Running : VmPowerState.Stopped));

    public Task StartAsync(VmDefinition vm, CancellationToken cancellationToken) => Act(() =>
    {
        if (host.Domains.Contains(vm.Name)) return true;
        var elsewhere = demo.Hosts.Where(h => h != host && h.Domains.Contains(vm.Name)).Select(h => h.Member.Name).ToList();
        if (elsewhere.Count > 0) demo.Violation($"{vm.Name} started on {host.Member.Name} while it runs on {string.Join(",", elsewhere)}");
        host.Domains.Add(vm.Name);
        demo.Starts.Add((vm.Name, host.Member.Name));
        demo.Say($"{host.Member.Name}: hypervisor starts {vm.Name}");
        return true;
    });

    public Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken) => Stop(vm, "shuts down");

    public Task KillAsync(VmDefinition vm, CancellationToken cancellationToken) => Stop(vm, "kills");

    public Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken) => Act(() =>
    {
        var target = demo.Hosts.FirstOrDefault(h => h.Member.Name == targetNode && h.Running)
            ?? throw new HypervisorException($"cannot migrate {vm.Name}: host {targetNode} is not running");
        host.Domains.Remove(vm.Name);
        target.Domains.Add(vm.Name);
        demo.Say($"{host.Member.Name}: hypervisor live-migrates {vm.Name} to {targetNode}");
        return true;
    });

    private Task Stop(VmDefinition vm, string how) => Act(() =>
    {
        if (host.Domains.Remove(vm.Name)) demo.Say($"{host.Member.Name}: hypervisor {how} {vm.Name}");
        return true;
    });

    private Task<T> Act<T>(Func<T> act)
    {
        if (!host.IsIncarnation(incarnation))
            return Task.FromException<T>(new HypervisorException($"{host.Member.Name}'s Haven process (incarnation {incarnation}) is gone"));
        try
        {
            return Task.FromResult(act());
        }
        catch (HypervisorException e)
        {
            return Task.FromException<T>(e);
        }
    }

    private static VmAdded Vm(string name, params (string Node, int Score)[] prefers) =>
        new(new VmSpec(name, KindName, $"demo-guest {name.ToLowerInvariant()}", Cpu: 1, Memory: 1024,
            Preferences: [.. prefers.Select(p => new NodePreference(p.Node, p.Score))]));
}
