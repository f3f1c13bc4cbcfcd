using System.Collections.Immutable;
using Haven.Actors.Configuration;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// A cluster-wide change is checked by every host in the view before it is replicated (issue 16 item 2): the proposer
/// multicasts a <see cref="SettingCheckRequest"/>, every other member runs its start's validator
/// (<see cref="ClusterOptions.ValidateSettings"/>) on its own file, reference.conf and the cluster-wide settings with the
/// change applied, and answers with a <see cref="SettingCheckAnswer"/>. The change is multicast only once every member
/// accepted it; a refusal or a member that did not answer before the command's deadline refuses it, naming the host, and
/// nothing changes. A host outside the view cannot be checked: a value it cannot use is skipped at its next start.
/// </summary>
public sealed partial class ClusterActor
{
    /// <summary>How long the members have to answer a check when the command came without a deadline (<see cref="CommandBefore"/>).</summary>
    private static readonly TimeSpan SettingCheckTimeout = TimeSpan.FromSeconds(5);

    private readonly Dictionary<long, PendingCheck> _pendingChecks = [];

    /// <summary>The deadline of the <see cref="CommandBefore"/> being dispatched, null outside one.</summary>
    private DateTimeOffset? _commandDeadline;

    /// <summary>
    /// Replicates <paramref name="e"/> once every other member of the view has checked it (at once in a one-member view).
    /// <paramref name="value"/> null: <paramref name="key"/> is reset.
    /// </summary>
    private void CheckThenSubmit(IClusterEvent e, string key, string? value, string message)
    {
        message += UncheckedNote();
        var others = _view.Where(m => m.Id != Me).ToImmutableArray();
        if (others.IsEmpty)
        {
            Submit(e, message, Sender);
            return;
        }
        var id = ++_settingCommands;
        var now = Context.System.TimeProvider.GetUtcNow();
        var deadline = _commandDeadline ?? now + SettingCheckTimeout;
        _pendingChecks[id] = new PendingCheck(id, e, key, Sender, message, others, []);
        Timers.StartSingleTimer($"setting-check-{id}", new SettingCheckDue(id), deadline > now ? deadline - now : TimeSpan.Zero);
        Log.LogInformation("Asking {Hosts} to check {Change}", string.Join(",", others.Select(m => m.Name)), message);
        Multicast(new SettingCheckRequest(_viewId, _viewIds, id, key, value));
    }

    /// <summary>The configured hosts outside the view: not checked, they rely on skipping a value they cannot use at start.</summary>
    private string UncheckedNote()
    {
        var outside = _options.Nodes.Where(n => !_viewIds.Contains(n.Id)).Select(n => n.Name).ToList();
        if (outside.Count == 0) return "";
        return $"; {string.Join(", ", outside)} {(outside.Count == 1 ? "is" : "are")} not in this view and could not be checked: "
               + "a host that cannot use the value skips it at its next start with a warning (haven health shows it)";
    }

    /// <summary>Another member's change: this host checks what it would start with after it, and answers.</summary>
    private void OnSettingCheckRequest(NodeId sender, SettingCheckRequest request)
    {
        if (sender == Me || !InThisView(request.ViewId, request.View)) return; // the proposer checked itself; another view's check is void
        var problems = CheckHere(request.Key, request.Value);
        if (problems.Count > 0)
            Log.LogWarning("Refusing the change of {Key} asked on node {Origin}: {Problems}", request.Key, sender.Value, string.Join("; ", problems));
        Multicast(new SettingCheckAnswer(request.ViewId, sender, request.RequestId, [.. problems]));
    }

    /// <summary>What a start of this host would find wrong after the change that it does not find today (empty: it can use it).</summary>
    private List<string> CheckHere(string key, string? value)
    {
        if (ClusterWideSettings.FindSettable(key, out var error) is not { Path: var path }) return [error!];
        if (value is null) return AddedProblems(_state.Settings.Remove(path));
        if (ClusterWideSettings.Check(path, value, out var normalized) is { } bad) return [bad];
        return AddedProblems(_state.Settings.SetItem(path, normalized));
    }

    private void OnSettingCheckAnswer(NodeId sender, SettingCheckAnswer answer)
    {
        if (answer.Origin != Me || answer.ViewId != _viewId || !_pendingChecks.TryGetValue(answer.RequestId, out var check)) return;
        if (!check.Hosts.Any(h => h.Id == sender)) return;
        check.Answers[sender] = answer.Problems.IsDefault ? [] : answer.Problems;
        if (check.Answers.Count == check.Hosts.Length) Conclude(check);
    }

    private void OnSettingCheckDue(SettingCheckDue due)
    {
        if (_pendingChecks.TryGetValue(due.Id, out var check)) Conclude(check);
    }

    /// <summary>Every member answered, or the deadline passed: the change is replicated only when every member accepted it.</summary>
    private void Conclude(PendingCheck check)
    {
        _pendingChecks.Remove(check.Id);
        Timers.Cancel($"setting-check-{check.Id}");
        var refusals = check.Hosts.Select(h => check.Answers.TryGetValue(h.Id, out var problems)
                ? problems.IsEmpty ? null : $"{h.Name} refuses the change of {check.Key}: {string.Join("; ", problems)}"
                : $"{h.Name} did not answer the check of {check.Key}")
            .OfType<string>().ToList();
        if (refusals.Count > 0)
        {
            Log.LogWarning("Change of {Key} refused: {Refusals}", check.Key, string.Join(" | ", refusals));
            check.ReplyTo.Tell(new OperatorCommandResult(false, $"{string.Join("\n", refusals)}\nnothing was changed on any host"), Self);
            return;
        }
        if (RefusalUnlessPrimary() is { } reason)
        {
            check.ReplyTo.Tell(new OperatorCommandResult(false, $"{reason}; nothing was changed"), Self);
            return;
        }
        Submit(check.Event, check.Message, check.ReplyTo);
    }

    /// <summary>A view change voids every open check (its members are no longer the ones asked): refused, nothing changed.</summary>
    private void AbandonSettingChecks()
    {
        foreach (var check in _pendingChecks.Values.ToList())
        {
            _pendingChecks.Remove(check.Id);
            Timers.Cancel($"setting-check-{check.Id}");
            check.ReplyTo.Tell(new OperatorCommandResult(false,
                $"the membership changed while the hosts checked the change of {check.Key}: nothing was changed; try again"), Self);
        }
    }

    private sealed record PendingCheck(long Id, IClusterEvent Event, string Key, IActorRef ReplyTo, string Message,
        ImmutableArray<Member> Hosts, Dictionary<NodeId, ImmutableArray<string>> Answers);

    private sealed record SettingCheckDue(long Id);
}
