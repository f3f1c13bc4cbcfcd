using Haven.Actors.Cluster;

namespace Haven.Actors.Vms;

/// <summary>
/// The DC's clock for appliance-group start delays: now, and when the DC first saw each VM running (by name).
/// A VM running that the DC has no time for counts as running since <paramref name="Now"/> (a new DC starts counting).
/// </summary>
public sealed record VmGroupClock(DateTimeOffset Now, IReadOnlyDictionary<string, DateTimeOffset> RunningSince);

/// <summary>HA-Lizard appliance groups: a group's VMs start in order, each order after the lower ones run (plus a delay).</summary>
public static partial class VmRecovery
{
    /// <summary>The VMs of each appliance group, from the round's state (a VM placed this round is Starting, not Running: no change).</summary>
    internal static ILookup<string, VmInfo> Groups(ClusterState state) =>
        state.Vms.Values.Where(v => v.Spec.Group is not null).ToLookup(v => v.Spec.Group!, StringComparer.Ordinal);

    /// <summary>
    /// Why <paramref name="vm"/> may not start yet, or null. It waits while a VM of its group with a lower order that
    /// should run (desired started, HA) is not running; then, with a start delay, until that long after the last of them
    /// was seen running (<paramref name="clock"/>; without a clock delays are not checked), and moves
    /// <paramref name="wakeAt"/> to that time when it is earlier.
    /// </summary>
    internal static string? GroupHolds(ILookup<string, VmInfo> groups, VmInfo vm, VmGroupClock? clock, ref DateTimeOffset? wakeAt)
    {
        if (vm.Spec.Group is not { } group) return null;
        DateTimeOffset? last = null;
        foreach (var other in groups[group])
        {
            if (other.Spec.Order >= vm.Spec.Order || !Managed(other)) continue;
            if (other.State != VmRunState.Running)
                return $"waits for {other.Name} (order {other.Spec.Order}) of group {group} to run";
            if (clock is null) continue;
            var since = clock.RunningSince.TryGetValue(other.Name, out var t) ? t : clock.Now;
            if (last is null || since > last) last = since;
        }
        if (clock is null || last is null || vm.Spec.StartDelay <= TimeSpan.Zero) return null;
        var due = last.Value + vm.Spec.StartDelay;
        if (due <= clock.Now) return null;
        if (wakeAt is null || due < wakeAt) wakeAt = due;
        return $"starts {vm.Spec.StartDelay.TotalSeconds}s after group {group}'s lower orders run, at {due:u}";
    }
}
