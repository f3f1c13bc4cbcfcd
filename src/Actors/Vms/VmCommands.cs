using Haven.Actors.Cluster;

namespace Haven.Actors.Vms;

/// <summary>Operator: manage a new VM. Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record AddVm(VmSpec Vm, VmDesiredState Desired = VmDesiredState.Started);

/// <summary>Operator: stop managing a VM that runs nowhere (<paramref name="Force"/>: wherever it is). Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record RemoveVm(string Name, bool Force = false);

/// <summary>Operator: vm start (Started, also clears hosts that gave up on it), stop (Stopped), enable (Started), disable (Disabled). Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record SetVmDesired(string Name, VmDesiredState Desired);

/// <summary>Operator: the VM's HA flag. Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record SetVmHa(string Name, bool Enabled);

/// <summary>Operator: forget the VM's fail counts on the named node (null: every node). Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record CleanupVm(string Name, string? Node = null);

/// <summary>Operator: vm manage (true) or unmanage (false). Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record SetVmManaged(string Name, bool Managed);

/// <summary>Operator: live-migrate a running VM to the named node. Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record MigrateVm(string Name, string Node);

/// <summary>Operator: drop the move preference a `vm migrate` left (crm_resource --clear). Reply: <see cref="OperatorCommandResult"/>.</summary>
public sealed record ClearVmMove(string Name);

/// <summary>Operator: the placement scores and rules for a VM. Reply: <see cref="VmExplanation"/> or a refused <see cref="OperatorCommandResult"/>.</summary>
public sealed record ExplainVm(string Name);

public sealed record VmExplanation(string Vm, IReadOnlyList<string> Lines);

/// <summary>The VM a replicated VM event is about, or null for other events.</summary>
public static class VmEvents
{
    public static string? NameOf(IClusterEvent e) => e switch
    {
        VmAdded a => a.Vm.Name,
        VmRemoved r => r.Name,
        VmDesired d => d.Name,
        VmHa h => h.Name,
        VmPlaced p => p.Name,
        VmRunning r => r.Name,
        VmStopping s => s.Name,
        VmStopped s => s.Name,
        VmFailed f => f.Name,
        VmMigrating m => m.Name,
        VmMigrated m => m.Name,
        VmMigrationFailed m => m.Name,
        VmCleanedUp c => c.Name,
        VmManaged m => m.Name,
        VmOperationFailed o => o.Name,
        VmFenceBlocked b => b.Name,
        _ => null,
    };
}
