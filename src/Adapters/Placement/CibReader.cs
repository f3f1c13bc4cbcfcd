using System.Collections.Immutable;
using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Haven.Actors.Placement;

namespace Haven.Adapters.Placement;

/// <summary>A CIB that cannot be read: the message names the file, the line and what is wrong.</summary>
public sealed class CibFormatException(string message, Exception? inner = null) : FormatException(message, inner);

/// <summary>A node Pacemaker fences, with its reason as Pacemaker words it ('peer is no longer part of the cluster').</summary>
public sealed record CibFence(string Node, string Reason);

/// <summary>
/// A CIB read for planning: the engine's input, the nodes to fence with Pacemaker's reasons in the order Pacemaker's
/// Transition Summary lists them, and warnings for what Pacemaker ignores (a constraint naming an undefined node or
/// resource, a rule).
/// </summary>
public sealed record CibModel(PlacementInput Input, ImmutableArray<CibFence> Fences, ImmutableArray<string> Warnings)
{
    /// <summary>
    /// Without quorum (no-quorum-policy other than ignore): the resources stopped for it (their Stop lines say "due to no
    /// quorum"), the input as it would be with quorum (where blocked starts would go), and why they are blocked.
    /// </summary>
    public ImmutableHashSet<string> StoppedForQuorum { get; init; } = [];

    public PlacementInput? WithQuorum { get; init; }

    public string BlockedReason { get; init; } = "no quorum";

    /// <summary>The plan's Transition Summary lines, with this CIB's fences, and without quorum its stops and blocked starts.</summary>
    public ImmutableArray<string> Summary(PlacementPlan plan)
    {
        Dictionary<string, (string, string)>? blocked = null;
        if (WithQuorum is { } quorate)
        {
            blocked = new(StringComparer.Ordinal);
            var would = PlacementEngine.Plan(quorate);
            var running = Input.Vms.Where(v => v.Running).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var a in would.Actions)
                if (a is { Action: PlacementActionKind.Start, From: null, To: { } to } && !running.Contains(a.Vm)) blocked[a.Vm] = (to, BlockedReason);
        }
        return TransitionSummary.Lines(Input, plan, Fences.Select(f => (f.Node, f.Reason)),
            StoppedForQuorum.ToDictionary(v => v, _ => "no quorum", StringComparer.Ordinal), blocked);
    }
}

/// <summary>
/// Reads a Pacemaker CIB (cib.xml, or `cibadmin -Q` output) into a <see cref="PlacementInput"/> as Pacemaker's scheduler
/// sees it (Pacemaker Explained 2.1): nodes with utilization (cpu, memory) and the node attributes standby and maintenance
/// (permanent or transient); every primitive — stonith devices too, which Pacemaker places and counts like any resource —
/// in definition order, with utilization and meta attributes (allow-migrate, priority, target-role, resource-stickiness,
/// is-managed, maintenance, migration-threshold, failure-timeout, multiple-active; each defaulting from rsc_defaults);
/// rsc_location (any negative score bans the node; decimals are truncated; ±INFINITY) and rsc_colocation; crm_config's
/// placement-strategy, batch-limit, migration-limit, stonith-enabled, maintenance-mode and no-quorum-policy with the CIB's
/// have-quorum. From the status section: which nodes are online, lost (fenced when unclean) or cleanly down, and from each
/// lrm_rsc_op history where each resource runs, whether it failed there (<see cref="CibHistory"/>), with the on-fail of the
/// failed operation; fail counts (fail-count-RSC#OP_INTERVAL transient attributes) against migration-threshold, forgotten
/// after failure-timeout measured from last-failure to the CIB's execution-date (or <c>now</c>).
/// </summary>
public static class CibReader
{
    /// <summary>Reads the CIB at <paramref name="path"/>.</summary>
    /// <exception cref="CibFormatException">Malformed XML or a missing or bad part, with file:line.</exception>
    public static PlacementInput ReadFile(string path) => ReadModelFile(path).Input;

    /// <summary>Reads the CIB at <paramref name="path"/> with its fences and warnings.</summary>
    /// <exception cref="CibFormatException">Malformed XML or a missing or bad part, with file:line.</exception>
    public static CibModel ReadModelFile(string path, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        return ReadModel(reader, path, now);
    }

    /// <summary>Reads a CIB from <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="CibFormatException">Malformed XML or a missing or bad part, with source:line.</exception>
    public static PlacementInput Read(TextReader text, string source = "cib") => ReadModel(text, source).Input;

    /// <summary>
    /// Reads a CIB from <paramref name="text"/> with its fences and warnings; failure-timeout is measured to the CIB's
    /// execution-date, else to <paramref name="now"/>, else to the system clock.
    /// </summary>
    /// <exception cref="CibFormatException">Malformed XML or a missing or bad part, with source:line.</exception>
    public static CibModel ReadModel(TextReader text, string source = "cib", DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        XDocument doc;
        try
        {
            doc = XDocument.Load(text, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw new CibFormatException($"{source}:{e.LineNumber}: not well-formed XML: {e.Message}", e);
        }
        return new CibParser(source, now ?? DateTimeOffset.UtcNow).Parse(doc);
    }
}
