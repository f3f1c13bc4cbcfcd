using Haven.Actors.Configuration;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// Operator commands on cluster-wide settings (issue "Operator surface"). A change is validated here
/// (key, type, scope, and this host's start validation on what it would run with), then by every other member
/// of the view against its own file (<see cref="SettingCheckRequest"/>, ClusterActor.SettingsCheck.cs), multicast
/// as an event once all accept, applied by every member of the primary partition, and answered once this host has
/// applied it (or skipped it).
/// </summary>
public sealed partial class ClusterActor
{
    /// <summary>How long an operator's change may take to come back through the group before the reply says so.</summary>
    private static readonly TimeSpan SettingConfirmTimeout = TimeSpan.FromSeconds(5);

    private readonly List<PendingSetting> _pendingSettings = [];
    private long _settingCommands;

    /// <summary>
    /// This host's effective settings now: reference.conf &lt; the cluster-wide settings &lt; this host's file.
    /// Other actors ask with <see cref="GetEffectiveSettings"/>; the state's own values (e.g.
    /// <see cref="ClusterState.HaEnabled"/>) are in every <see cref="ClusterView"/>.
    /// </summary>
    private EffectiveSettings ResolvedSettings() => SettingsResolver.Resolve(_state.Settings, _options.HostConfig);

    /// <summary>Registers the settings commands' handlers (called from the constructor).</summary>
    private void RegisterSettingsHandlers()
    {
        Receive<SetSetting>(OnSetSetting);
        Receive<ResetSetting>(OnResetSetting);
        Receive<GetEffectiveSettings>(_ => Sender.Tell(ResolvedSettings(), Self));
        Receive<SettingNotConfirmed>(OnSettingNotConfirmed);
        Receive<SettingCheckDue>(OnSettingCheckDue);
    }

    private void OnSetSetting(SetSetting command)
    {
        if (RefuseUnlessPrimary()) return;
        if (ClusterWideSettings.FindSettable(command.Key ?? "", out var error) is not { Path: var key } schema)
        {
            Refuse(error!);
            return;
        }
        if (ClusterWideSettings.Check(key, command.Value ?? "", out var value) is { } bad)
        {
            Refuse(bad);
            return;
        }
        if (_state.Settings.TryGetValue(key, out var current) && current == value)
        {
            Sender.Tell(new OperatorCommandResult(true, $"{key} is already {value} cluster-wide; nothing changed"), Self);
            return;
        }
        if (CrossCheck(_state.Settings.SetItem(key, value), key) is { } contradiction)
        {
            Refuse(contradiction);
            return;
        }
        var overridden = HostOverride(key);
        CheckThenSubmit(new SettingChanged(key, value), key, value, $"{key} = {value} cluster-wide"
            + (overridden is null ? "" : $"; this host's file overrides it ({overridden})") + WhenApplied(schema));
    }

    private void OnResetSetting(ResetSetting command)
    {
        if (RefuseUnlessPrimary()) return;
        if (ClusterWideSettings.FindSettable(command.Key ?? "", out var error) is not { Path: var key } schema)
        {
            Refuse(error!);
            return;
        }
        if (!_state.Settings.ContainsKey(key))
        {
            Refuse($"{key} is not set cluster-wide; there is nothing to reset");
            return;
        }
        if (CrossCheck(_state.Settings.Remove(key), key) is { } contradiction)
        {
            Refuse(contradiction);
            return;
        }
        var fallback = SettingsResolver.Resolve(_state.Settings.Remove(key), _options.HostConfig)[key];
        CheckThenSubmit(new SettingReset(key), key, null,
            $"{key} is no longer set cluster-wide; this host uses {fallback.Value} ({fallback.SourceText})" + WhenApplied(schema));
    }

    /// <summary>What the operator must know about when a change takes effect: nothing for a live setting.</summary>
    private static string WhenApplied(SettingSchema schema) => schema.Live
        ? ""
        : $"; {schema.Path} is read when the daemon starts: it applies on each host at its next start (haven config get marks it \"restart needed\" until then)";

    private bool RefuseUnlessPrimary()
    {
        if (RefusalUnlessPrimary() is not { } reason) return false;
        Refuse(reason);
        return true;
    }

    private string? RefusalUnlessPrimary() => _role == PartitionRole.Primary && _viewSynced ? null
        : $"this host is not in the primary partition ({_role.ToString().ToLowerInvariant()}{(_role == PartitionRole.Primary ? ", syncing" : "")}); ask a primary member";

    private void Refuse(string reason) => Sender.Tell(new OperatorCommandResult(false, reason), Self);

    /// <summary>
    /// What this host's start would check (<see cref="ClusterOptions.ValidateSettings"/>: e.g. static-quorum needs a
    /// quorum size, a probe count in range, fencing needs a secrets file) on what it would run with after the change:
    /// only problems the change brings are refused.
    /// </summary>
    private string? CrossCheck(IEnumerable<KeyValuePair<string, string>> after, string key) =>
        AddedProblems(after) is { Count: > 0 } added ? $"{key}: the change contradicts other settings: {string.Join("; ", added)}" : null;

    /// <summary>The problems this host's start would find with the cluster-wide settings <paramref name="after"/> and not with today's.</summary>
    private List<string> AddedProblems(IEnumerable<KeyValuePair<string, string>> after)
    {
        var validate = _options.ValidateSettings ?? HavenConfig.CrossCheck;
        HashSet<string> Problems(IEnumerable<KeyValuePair<string, string>> cluster, Config? host) =>
            validate(SettingsResolver.Resolve(cluster, host).Config)
                .Select(p => p.Path.Length == 0 || p.Message.StartsWith(p.Path, StringComparison.Ordinal) ? p.Message : $"{p.Path}: {p.Message}").ToHashSet();
        var before = Problems(_state.Settings, _options.HostConfig);
        return Problems(after, _options.HostConfig).Where(p => !before.Contains(p)).ToList();
    }

    /// <summary>FILE:LINE of this host's own value for the key, or null.</summary>
    private string? HostOverride(string key) =>
        SettingsResolver.Resolve(_state.Settings, _options.HostConfig).TryGet(key, out var s) && s.Source == SettingSource.Host ? s.Origin : null;

    private void Submit(IClusterEvent e, string message, IActorRef replyTo)
    {
        var id = ++_settingCommands;
        _pendingSettings.Add(new PendingSetting(id, e, replyTo, message));
        Timers.StartSingleTimer($"setting-{id}", new SettingNotConfirmed(id), SettingConfirmTimeout);
        Log.LogInformation("Operator asks for {Change} on {Node}", message, _options.Self.Name);
        MulticastEvents([e]);
    }

    /// <summary>A settings event this host applied (logged with every applied event): answers the operator who asked for it here.</summary>
    private void SettingsApplied(IClusterEvent e)
    {
        if (e is (SettingChanged or SettingReset) && TakePending(e) is { } pending)
            pending.ReplyTo.Tell(new OperatorCommandResult(true, pending.Message), Self);
    }

    /// <summary>A settings event every member skipped (another change came first): the operator learns why.</summary>
    private void SettingsSkipped(IClusterEvent e, string? reason)
    {
        if (TakePending(e) is { } pending)
            pending.ReplyTo.Tell(new OperatorCommandResult(false, $"not applied: {reason}"), Self);
    }

    private PendingSetting? TakePending(IClusterEvent e)
    {
        var index = _pendingSettings.FindIndex(p => p.Event.Equals(e));
        if (index < 0) return null;
        var pending = _pendingSettings[index];
        _pendingSettings.RemoveAt(index);
        Timers.Cancel($"setting-{pending.Id}");
        return pending;
    }

    private void OnSettingNotConfirmed(SettingNotConfirmed timeout)
    {
        var index = _pendingSettings.FindIndex(p => p.Id == timeout.Id);
        if (index < 0) return;
        var pending = _pendingSettings[index];
        _pendingSettings.RemoveAt(index);
        pending.ReplyTo.Tell(new OperatorCommandResult(false,
            $"the change was sent but not applied here within {SettingConfirmTimeout.TotalSeconds:0} s (the membership may have changed); check with haven config get"), Self);
    }

    private sealed record PendingSetting(long Id, IClusterEvent Event, IActorRef ReplyTo, string Message);

    private sealed record SettingNotConfirmed(long Id);
}
