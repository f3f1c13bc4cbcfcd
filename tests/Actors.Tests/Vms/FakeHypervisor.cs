using Haven.Actors.Vms;

namespace Haven.Actors.Tests.Vms;

/// <summary>A scripted hypervisor: domain states by VM name, a call log, and switches for failures and hangs.</summary>
internal sealed class FakeHypervisor(string kind = "process") : IHypervisor
{
    public Dictionary<string, VmStatus> Domains { get; } = new(StringComparer.Ordinal);
    public List<string> Calls { get; } = [];
    public int StartFailures { get; set; }

    /// <summary>The next this many kill calls fail.</summary>
    public int KillFailures { get; set; }
    public bool IgnoreShutdown { get; set; }
    public bool Migratable { get; set; } = true;
    public string? MigrateError { get; set; }

    /// <summary>While set, every status call fails with this message (a missing tool, an undefined domain).</summary>
    public string? StatusError { get; set; }

    /// <summary>The next call of this name never answers.</summary>
    public string? HangNext { get; set; }

    public string Kind => kind;
    public bool SupportsLiveMigration => Migratable;

    public Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken) =>
        Run("status", vm, () => StatusError is { } error
            ? throw new HypervisorException(error)
            : Domains.GetValueOrDefault(vm.Name) ?? new VmStatus(VmPowerState.Stopped));

    public Task StartAsync(VmDefinition vm, CancellationToken cancellationToken) => Run("start", vm, () =>
    {
        if (StartFailures > 0)
        {
            StartFailures--;
            throw new HypervisorException($"{vm.Name}: cannot allocate memory");
        }
        Domains[vm.Name] = new VmStatus(VmPowerState.Running);
        return Domains[vm.Name];
    });

    public Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken) => Run("shutdown", vm, () =>
    {
        if (!IgnoreShutdown) Domains.Remove(vm.Name);
        return new VmStatus(VmPowerState.Stopped);
    });

    public Task KillAsync(VmDefinition vm, CancellationToken cancellationToken) => Run("kill", vm, () =>
    {
        if (KillFailures > 0)
        {
            KillFailures--;
            throw new HypervisorException($"{vm.Name}: the domain does not die");
        }
        Domains.Remove(vm.Name);
        return new VmStatus(VmPowerState.Stopped);
    });

    public Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken) => Run($"migrate {targetNode}", vm, () =>
    {
        if (MigrateError is { } error) throw new HypervisorException(error);
        Domains.Remove(vm.Name);
        return new VmStatus(VmPowerState.Stopped);
    });

    private Task<VmStatus> Run(string call, VmDefinition vm, Func<VmStatus> act)
    {
        Calls.Add($"{call} {vm.Name}");
        if (HangNext is { } hang && call.StartsWith(hang, StringComparison.Ordinal))
        {
            HangNext = null;
            return new TaskCompletionSource<VmStatus>().Task;
        }
        try
        {
            return Task.FromResult(act());
        }
        catch (HypervisorException e)
        {
            return Task.FromException<VmStatus>(e);
        }
    }
}
