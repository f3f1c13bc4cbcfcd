using System.Collections.Immutable;
using Haven.Actors.Configuration;

namespace Haven.Adapters.Corosync;

/// <summary>
/// The nodelist of the corosync this process reaches (the one of its network namespace), read from
/// cmap as Pacemaker reads it: names from <c>nodelist.node.X.name</c> (else <c>ring0_addr</c>), ids
/// from <c>nodelist.node.X.nodeid</c>.
/// </summary>
public static class CorosyncNodeList
{
    /// <summary>The nodes in corosync.conf's order, or null with the error (corosync not running, …).</summary>
    public static ImmutableArray<NodeSettings>? Read(out string error) =>
        CorosyncNative.ReadCmapNodeList(out error) is { } nodes ? [.. nodes.Select(n => new NodeSettings(n.Name, n.Id))] : null;
}
