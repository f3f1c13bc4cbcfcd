namespace Haven.Host.Control;

// The bodies the control API accepts, shared by the daemon (which reads them) and the client verbs (which send
// them); ControlJsonContext generates their serializers, so the ahead-of-time compiled client needs no reflection.

/// <summary>A request without fields: `{}`.</summary>
internal sealed record EmptyRequest
{
    public static readonly EmptyRequest Instance = new();
}

/// <summary>/v1/cluster/down, /v1/nodes/*, /v1/maintenance/*, /v1/vms/NAME/migrate.</summary>
internal sealed record NodeRequest(string? Node);

/// <summary>/v1/ips/move.</summary>
internal sealed record MoveRequest(string? Address, string? Node);

/// <summary>/v1/fence: an operator fence.</summary>
internal sealed record FenceRequest(string? Node, string? Action);

/// <summary>/v1/fence/confirm: the operator's word that a node is off (haven fence confirm).</summary>
internal sealed record FenceConfirmRequest(string? Node, string? Reason);

/// <summary>/v1/config/set and /v1/config/reset (reset reads only the key).</summary>
internal sealed record SetRequest(string? Key, string? Value);

/// <summary>/v1/ha and /v1/vms/NAME/ha.</summary>
internal sealed record HaRequest(bool? Enabled);

/// <summary>`haven vm remove NAME [--force]`.</summary>
internal sealed record RemoveRequest(bool Force);

internal sealed record PreferenceRequest(string? Node, int Score);

internal sealed record ConstraintRequest(string? Vm, int? Score);

/// <summary>/v1/vms: register a VM.</summary>
internal sealed record AddVmRequest(string? Name, string? Hypervisor, string? Config, long Cpu, long Memory,
    IReadOnlyList<PreferenceRequest>? Preferences, bool AllowMigrate, int Priority, bool? Ha, bool Stopped,
    IReadOnlyList<ConstraintRequest>? With = null, IReadOnlyList<ConstraintRequest>? Apart = null,
    string? Group = null, int Order = 0, double StartDelaySeconds = 0, IReadOnlyList<string>? OnFail = null, string? MultipleActive = null);

/// <summary>`haven events --digest --json`.</summary>
internal sealed record DigestView(long StreamIndex, string Digest);
