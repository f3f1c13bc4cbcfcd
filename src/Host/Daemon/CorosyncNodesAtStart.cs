using System.Collections.Immutable;
using Haven.Actors.Configuration;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// With <c>transport = corosync</c>, the node list comes from corosync's nodelist (cmap), as in
/// Pacemaker: <c>haven.cluster.nodes</c> may be empty, and when it is given it must match, or the
/// daemon refuses to start naming the differences. When corosync cannot be asked yet, a given list
/// is used as written (the transport checks it when it connects) and an empty one makes the daemon
/// wait for corosync, retrying with backoff, until it answers or the daemon is stopped.
/// </summary>
internal static class CorosyncNodesAtStart
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    /// <summary>Reads corosync's nodelist: the nodes, or null and the error.</summary>
    public delegate ImmutableArray<NodeSettings>? NodeListReader(out string error);

    /// <summary>
    /// The settings with the node list to run with, and whether it was checked against corosync's (false:
    /// a given list used as written because corosync could not be asked; the transport checks it then).
    /// </summary>
    public static async Task<(HavenSettings Settings, bool Checked)> ResolveAsync(HavenSettings settings, NodeListReader read, string hostName, TimeProvider time, ILogger log, CancellationToken ct)
    {
        if (settings.Cluster.Transport != ClusterTransportKind.Corosync) return (settings, true);
        var backoff = MinBackoff;
        while (true)
        {
            if (read(out var error) is { } nodes)
            {
                HavenSettings resolved;
                try
                {
                    resolved = ClusterConfig.WithCorosyncNodes(settings, nodes, hostName);
                }
                catch (ConfigException e)
                {
                    throw new CliException(e.Message);
                }
                log.LogInformation("Node list from corosync's nodelist{Checked}: {Nodes}",
                    settings.Cluster.Nodes.IsDefaultOrEmpty ? "" : " (matches haven.cluster.nodes)",
                    string.Join(", ", resolved.Cluster.Nodes.Select(n => $"{n.Name} ({n.Id})")));
                return (resolved, true);
            }
            if (!settings.Cluster.Nodes.IsDefaultOrEmpty)
            {
                log.LogWarning("Cannot read corosync's nodelist ({Error}); using haven.cluster.nodes, which is checked against it when Haven connects to corosync", error);
                return (settings, false);
            }
            log.LogError("Cannot read the node list from corosync ({Error}) and haven.cluster.nodes is empty; waiting for corosync, retrying in {Delay} s",
                error, backoff.TotalSeconds);
            await Task.Delay(backoff, time, ct);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }
}
