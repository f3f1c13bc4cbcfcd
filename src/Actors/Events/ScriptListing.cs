using System.Collections.Immutable;

namespace Haven.Actors.Events;

/// <summary>
/// One entry of the scripts directory as <c>haven events scripts</c> shows it: its NN (null when the name has
/// none), whether it is executable, its status ("runs", or why it is refused, skipped or ignored) and how it last ran.
/// </summary>
public sealed record ScriptListingEntry(int? Order, string Name, bool Executable, string Status, ScriptRunRecord? Last);

/// <summary>The scripts directory with CTDB's verdict on every entry and the last results.</summary>
public sealed record ScriptListing(string Directory, ImmutableArray<ScriptListingEntry> Entries, ImmutableArray<string> Errors)
{
    public const string Runs = "runs";

    public static ScriptListing From(ScriptPlan plan, IReadOnlyDictionary<string, ScriptRunRecord> last)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(last);
        var entries = plan.Scripts
            .Select(s => new ScriptListingEntry(s.Order, s.Name, true, plan.Refusals.GetValueOrDefault(s.Name, Runs), last.GetValueOrDefault(s.Name)))
            .Concat(plan.Skipped.Select(s => new ScriptListingEntry(EventScriptRules.Order(s.Name), s.Name, s.Executable, s.Reason, last.GetValueOrDefault(s.Name))))
            .OrderBy(e => e.Order ?? int.MaxValue).ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToImmutableArray();
        return new ScriptListing(plan.Directory, entries, plan.Errors);
    }
}
