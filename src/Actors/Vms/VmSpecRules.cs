using System.Globalization;
using Haven.Actors.Placement;

namespace Haven.Actors.Vms;

/// <summary>What makes a VM definition acceptable; the state, the operator commands and the CLI share these rules.</summary>
public static class VmSpecRules
{
    /// <summary>The hypervisor kinds Haven has adapters for.</summary>
    public static readonly IReadOnlyList<string> Hypervisors = ["libvirt", "xen", "openvz", "process"];

    /// <summary>Upper bound of a VM's cpu utilization (cores).</summary>
    public const long MaxCpu = 1024;

    /// <summary>Upper bound of a VM's memory utilization (MiB): 16 TiB.</summary>
    public const long MaxMemory = 16L * 1024 * 1024;

    /// <summary>The canonical (upper-case) form of a VM name as an operator may type it.</summary>
    public static string Canonical(string name) => (name ?? "").Trim().ToUpperInvariant();

    /// <summary>Null when <paramref name="name"/> (already canonical) is a valid VM name: <c>[-.A-Z0-9]{3,}</c>.</summary>
    public static string? CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "the VM name is empty";
        if (name.Length < 3) return $"VM name '{name}' is too short (at least 3 characters of -.A-Z0-9)";
        if (name.Length > 64) return $"VM name '{name}' is too long (at most 64 characters)";
        foreach (var c in name)
            if (c is not ('-' or '.' or (>= 'A' and <= 'Z') or (>= '0' and <= '9')))
                return $"VM name '{name}' has '{c}'; only -, ., A-Z and 0-9 are allowed (names are upper-cased)";
        return null;
    }

    /// <summary>
    /// Null when the hypervisor can use the config, else why not; checked when a VM is added (`haven vm add`, the control API), not
    /// when the journal is replayed. OpenVZ: a CTID of 1..2147483647 (0 is the host itself) or a container name (letters, digits,
    /// '-', '_', '.', starting with a letter or digit, at most 64).
    /// </summary>
    public static string? CheckHypervisorConfig(VmSpec spec)
    {
        if (spec.Hypervisor != "openvz") return null;
        var id = spec.Config.Trim();
        if (id.All(char.IsAsciiDigit) && id.Length > 0)
            return long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= int.MaxValue
                ? null
                : $"VM {spec.Name}: OpenVZ CTID {id} is out of range (1..{int.MaxValue}; 0 is the host itself)";
        var named = id.Length is > 0 and <= 64 && char.IsAsciiLetterOrDigit(id[0])
            && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
        return named ? null
            : $"VM {spec.Name}: OpenVZ CTID '{id}' is neither a number (1..{int.MaxValue}) nor a container name (letters, digits, -, _ and ., at most 64)";
    }

    /// <summary>Null when the definition is valid, else what is wrong (naming the VM and the field).</summary>
    public static string? Check(VmSpec? spec)
    {
        if (spec is null) return "the VM definition is missing";
        if (CheckName(spec.Name) is { } bad) return bad;
        var vm = spec.Name;
        if (string.IsNullOrWhiteSpace(spec.Hypervisor) || !Hypervisors.Contains(spec.Hypervisor, StringComparer.Ordinal))
            return $"VM {vm}: hypervisor '{spec.Hypervisor}' is not one of {string.Join(", ", Hypervisors)}";
        if (string.IsNullOrWhiteSpace(spec.Config)) return $"VM {vm}: the {spec.Hypervisor} config is empty";
        if (spec.Config.Length > 4096) return $"VM {vm}: the config is longer than 4096 characters";
        if (spec.Cpu < 0 || spec.Cpu > MaxCpu)
            return string.Create(CultureInfo.InvariantCulture, $"VM {vm}: cpu utilization {spec.Cpu} is out of range (0..{MaxCpu} cores)");
        if (spec.Memory < 0 || spec.Memory > MaxMemory)
            return string.Create(CultureInfo.InvariantCulture, $"VM {vm}: memory utilization {spec.Memory} is out of range (0..{MaxMemory} MiB)");
        if (spec.Priority is < -PlacementScores.Infinity or > PlacementScores.Infinity)
            return string.Create(CultureInfo.InvariantCulture, $"VM {vm}: priority {spec.Priority} is out of range (±{PlacementScores.Infinity})");
        if (CheckColocations(spec) is { } colocation) return colocation;
        if (CheckOnFail(spec) is { } onFail) return onFail;
        if (!Enum.IsDefined(spec.MultipleActive)) return $"VM {vm}: multiple-active {spec.MultipleActive} is not stop_start, stop_only or block";
        if (spec.Group is not null)
        {
            if (CheckName(spec.Group) is not null) return $"VM {vm}: group name '{spec.Group}' is not valid (at least 3 characters of -.A-Z0-9)";
            if (spec.Order is < 0 or > 1000) return string.Create(CultureInfo.InvariantCulture, $"VM {vm}: group order {spec.Order} is out of range (0..1000)");
        }
        else if (spec.Order != 0 || spec.StartDelay != TimeSpan.Zero) return $"VM {vm}: an order or start delay needs a group";
        if (spec.StartDelay < TimeSpan.Zero || spec.StartDelay > TimeSpan.FromDays(1))
            return $"VM {vm}: start delay {spec.StartDelay} is out of range (0 to 1 day)";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in spec.Preferences)
        {
            if (string.IsNullOrWhiteSpace(p.Node)) return $"VM {vm}: a preference names no node";
            if (!seen.Add(p.Node)) return $"VM {vm}: node '{p.Node}' is preferred twice";
            if (p.Score is < PlacementScores.Banned or > PlacementScores.Infinity)
                return string.Create(CultureInfo.InvariantCulture,
                    $"VM {vm}: score {p.Score} for node '{p.Node}' is out of range ({PlacementScores.Banned}..{PlacementScores.Infinity})");
        }
        return null;
    }

    /// <summary>
    /// The node names of the VM's preferences (<c>--prefer NODE=SCORE</c>; a ban is a preference of -1000000) follow the one
    /// node-name rule (<see cref="Configuration.ClusterConfig.NodeNameProblem"/>) and, with <paramref name="known"/> (the
    /// cluster's nodes), name one of them: pcs refuses a location constraint on a node not in the cluster, and so does
    /// `haven vm add`. Checked when a VM is added (by the CLI and by the daemon), not when a journal is replayed.
    /// </summary>
    public static string? CheckNodeNames(VmSpec spec, IReadOnlyCollection<string>? known = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        foreach (var p in spec.Preferences)
        {
            if (Configuration.ClusterConfig.NodeNameProblem(p.Node) is { } invalid) return $"VM {spec.Name}: --prefer {p.Node}={p.Score}: {invalid}";
            if (known is { Count: > 0 } && !known.Contains(p.Node))
                return $"VM {spec.Name}: --prefer {p.Node}={p.Score}: node \"{p.Node}\" is not a node of this cluster (known: {string.Join(", ", known.Order(StringComparer.Ordinal))})";
        }
        return null;
    }

    /// <summary>
    /// Every on-fail value is known; a failed stop may only block or fence (or take the default): after a stop that failed
    /// the VM may still run, so nothing else may start it elsewhere or pretend it stopped.
    /// </summary>
    private static string? CheckOnFail(VmSpec spec)
    {
        var f = spec.OnFail;
        foreach (var (op, value) in new[] { ("start", f.Start), ("monitor", f.Monitor), ("stop", f.Stop) })
            if (!Enum.IsDefined(value)) return $"VM {spec.Name}: on-fail for {op} is not valid ({value})";
        if (f.Stop is not (VmOnFail.Default or VmOnFail.Block or VmOnFail.Fence))
            return $"VM {spec.Name}: on-fail for stop must be block or fence, not {VmOnFailPolicy.Name(f.Stop)} (a VM whose stop failed may still run)";
        return null;
    }

    /// <summary>
    /// Parses `--on-fail OP=ACTION` (OP start, monitor or stop; ACTION ignore, block, stop, restart, fence or standby) into
    /// <paramref name="policy"/>; null when it parsed, else what is wrong.
    /// </summary>
    public static string? ParseOnFail(string text, ref VmOnFailPolicy policy)
    {
        var eq = (text ?? "").IndexOf('=', StringComparison.Ordinal);
        var op = eq > 0 ? text![..eq].Trim().ToLowerInvariant() : "";
        var value = eq > 0 ? text![(eq + 1)..].Trim().ToLowerInvariant() : "";
        if (!VmOnFailPolicy.Operations.Contains(op))
            return $"--on-fail '{text}' is not OP=ACTION with OP start, monitor or stop (e.g. --on-fail monitor=block)";
        if (!Enum.TryParse<VmOnFail>(value, ignoreCase: true, out var onFail) || onFail == VmOnFail.Default || !char.IsLetter(value.FirstOrDefault()))
            return $"--on-fail '{text}': '{value}' is not one of ignore, block, stop, restart, fence, standby";
        policy = op switch
        {
            "start" => policy with { Start = onFail },
            "monitor" => policy with { Monitor = onFail },
            _ => policy with { Stop = onFail },
        };
        return null;
    }

    private static string? CheckColocations(VmSpec spec)
    {
        var vm = spec.Name;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (kind, list) in new[] { ("with", spec.With), ("apart", spec.Apart) })
            foreach (var c in list)
            {
                if (CheckName(c.Vm) is { } bad) return $"VM {vm}: --{kind}: {bad}";
                if (c.Vm == vm) return $"VM {vm}: --{kind} names the VM itself";
                if (!seen.Add(c.Vm)) return $"VM {vm}: VM '{c.Vm}' is named twice in --with/--apart";
                if (c.Score is < 1 or > PlacementScores.Infinity)
                    return string.Create(CultureInfo.InvariantCulture, $"VM {vm}: --{kind} {c.Vm} score {c.Score} is out of range (1..{PlacementScores.Infinity}, INFINITY by default)");
            }
        return null;
    }
}
