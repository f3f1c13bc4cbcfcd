using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Persistence;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// At start the daemon reads the cluster-wide settings its journal holds and starts its components
/// with reference.conf &lt; those &lt; its own file. A change made with `haven config set` later is in
/// the replicated state at once (and `haven config get` shows it); the fencing rules follow it from the
/// next fence on (the ClusterActor resolves them live, @live in reference.conf); components that read their
/// settings only at start pick it up at the next start: the daemon keeps the settings it started with
/// (<see cref="DaemonState.StartedWith"/>) so that `haven config get` can mark such a value "restart needed".
/// </summary>
internal static class ClusterSettingsAtStart
{
    public static async Task<(HavenSettings Settings, EffectiveSettings StartedWith)> ApplyAsync(HavenSettings settings, IJournal journal, ILogger log,
        CancellationToken ct)
    {
        var serializer = new JsonEventSerializer(HavenManifests.CreateRegistry());
        var entries = new List<object>();
        await foreach (var entry in journal.ReadAsync("cluster", 1, long.MaxValue, cancellationToken: ct))
            entries.Add(serializer.Deserialize(entry));
        var cluster = ClusterSettingsReplay.Replay(entries);
        var fileAlone = SettingsResolver.Resolve([], settings.Source);
        if (cluster.IsEmpty) return (settings, fileAlone);
        var effective = SettingsResolver.Resolve(cluster, settings.Source);
        var problems = HavenConfig.CrossCheck(effective.Config);
        if (problems.Count > 0)
        {
            log.LogError("Cluster-wide settings contradict this host's file, so this host starts with its file alone: {Problems}",
                string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}")));
            return (settings, fileAlone);
        }
        var used = effective.All.Where(s => s.Source == SettingSource.Cluster).Select(s => $"{s.Key} = {s.Value}").ToList();
        log.LogInformation("Starting with {Count} cluster-wide settings: {Settings}", used.Count, string.Join(", ", used));
        return (HavenSettings.From(effective.Config) with { Source = settings.Source }, effective);
    }
}
