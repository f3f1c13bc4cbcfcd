using System.Collections.Immutable;
using Haven.Actors.Configuration;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>What corosync's nodelist, read now, means for the node list Haven runs with.</summary>
internal abstract record NodeListChange
{
    /// <summary>The same nodes (in any order) as Haven runs with.</summary>
    public sealed record Unchanged : NodeListChange;

    /// <summary>Not usable, with why: Haven keeps running on its node list.</summary>
    public sealed record Refused(string Reason) : NodeListChange;

    /// <summary>Valid as a start would take it: the new list, and the nodes it adds and removes.</summary>
    public sealed record Changed(ImmutableArray<NodeSettings> Nodes, ImmutableArray<NodeSettings> Added, ImmutableArray<NodeSettings> Removed) : NodeListChange;

    /// <summary>
    /// Checks corosync's nodelist exactly as a start does (<see cref="ClusterConfig.WithCorosyncNodes"/>: names,
    /// ids, this host in it, <c>haven.cluster.nodes</c> of <paramref name="file"/> matching when given), and
    /// refuses a node whose id or name changed (the cluster state is keyed by id and shows the name).
    /// </summary>
    public static NodeListChange Of(HavenSettings file, ImmutableArray<NodeSettings> running, ImmutableArray<NodeSettings> corosync, string hostName)
    {
        if (!corosync.IsDefault && ClusterConfig.NodeListDifferences(running, corosync).Count == 0) return new Unchanged();
        HavenSettings resolved;
        try
        {
            resolved = ClusterConfig.WithCorosyncNodes(file, corosync, hostName);
        }
        catch (ConfigException e)
        {
            return new Refused(e.Message);
        }
        var nodes = resolved.Cluster.Nodes;
        var renamed = nodes.Select(n => (New: n, Old: running.FirstOrDefault(o => o.Id == n.Id || o.Name == n.Name)))
            .Where(p => p.Old is not null && (p.Old.Id != p.New.Id || p.Old.Name != p.New.Name))
            .Select(p => $"{p.Old!.Name} (id {p.Old.Id}) is now {p.New.Name} (nodeid {p.New.Id})").ToList();
        if (renamed.Count > 0)
            return new Refused($"a node's name or nodeid cannot change while Haven runs: {string.Join("; ", renamed)}; restart the daemons to take it");
        return new Changed(nodes, [.. nodes.Where(n => running.All(o => o.Id != n.Id))], [.. running.Where(o => nodes.All(n => n.Id != o.Id))]);
    }
}

/// <summary>
/// Notices a change of corosync's nodelist while the daemon runs (after <c>corosync-cfgtool -R</c>) by reading
/// it every <see cref="Period"/>: a change seen on two reads in a row (a reload writes the keys one by one) is
/// checked as a start checks it and handed to <c>adopt</c> (the ClusterActor, which also refuses to forget a
/// node that is still a member). A refusal keeps the old list, is logged once and shown by <c>haven health</c>
/// (<see cref="Problem"/>). A poll rather than a cmap track: one read sees the whole list at a point, a track
/// fires once per key of a reload and would need the same settling, and the poll needs no further native
/// callback; it costs one cmap connection every 2 s.
/// </summary>
internal sealed class CorosyncNodeListWatch(HavenSettings file, ImmutableArray<NodeSettings> running, string hostName,
    CorosyncNodesAtStart.NodeListReader read, Func<NodeListChange.Changed, Task<(bool Accepted, string Message)>> adopt, ILogger log)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    private ImmutableArray<NodeSettings>? _candidate;

    /// <summary>The node list Haven runs with now.</summary>
    public ImmutableArray<NodeSettings> Running { get; private set; } = running;

    /// <summary>Why corosync's current nodelist is not adopted (null: it is, or it is being read again to confirm a change).</summary>
    public string? Problem { get; private set; }

    /// <summary>Polls until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(TimeProvider time, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Period, time, ct);
                try
                {
                    await PollAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Watching corosync's nodelist failed; reading it again in {Seconds} s", Period.TotalSeconds);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the daemon stops
        }
    }

    /// <summary>One read of corosync's nodelist and what follows from it.</summary>
    public async Task PollAsync()
    {
        if (read(out var error) is not { } corosync)
        {
            log.LogDebug("Cannot read corosync's nodelist to watch it: {Error}", error);
            return; // the transport reports a lost corosync; the list is read again on the next poll
        }
        var change = NodeListChange.Of(file, Running, corosync, hostName);
        if (change is NodeListChange.Unchanged)
        {
            if (Problem is not null) log.LogInformation("Corosync's nodelist is again the node list Haven runs with: {Nodes}", Describe(Running));
            Problem = null;
            _candidate = null;
            return;
        }
        if (_candidate is not { } seen || ClusterConfig.NodeListDifferences(seen, corosync).Count > 0)
        {
            _candidate = corosync; // confirm on the next read: a reload may be half written
            return;
        }
        switch (change)
        {
            case NodeListChange.Refused refused:
                Refuse($"corosync's nodelist changed but cannot be taken: {refused.Reason}");
                break;
            case NodeListChange.Changed changed:
                var (accepted, message) = await adopt(changed);
                if (!accepted)
                {
                    Refuse($"corosync's nodelist changed but is not taken: {message}");
                    break;
                }
                Running = changed.Nodes;
                Problem = null;
                _candidate = null;
                log.LogDebug("Took corosync's new nodelist without a restart: added {Added}; removed {Removed}; now {Nodes}",
                    Describe(changed.Added), Describe(changed.Removed), Describe(changed.Nodes));
                break;
        }
    }

    private void Refuse(string problem)
    {
        var full = $"{problem}; Haven keeps running on {Describe(Running)}";
        if (full != Problem) log.LogWarning("{Problem}", full);
        Problem = full;
    }

    internal static string Describe(IEnumerable<NodeSettings> nodes) =>
        nodes.Any() ? string.Join(", ", nodes.Select(n => $"{n.Name} ({n.Id})")) : "none";
}
