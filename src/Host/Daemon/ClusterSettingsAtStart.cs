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
/// A host always starts with its file and the defaults: a cluster-wide value this host cannot use (it fails
/// <see cref="StartValidation"/> here, e.g. it contradicts this host's file) is skipped with a warning that
/// `haven health` shows, and the others are used.
/// </summary>
internal static class ClusterSettingsAtStart
{
    public static async Task<(HavenSettings Settings, EffectiveSettings StartedWith, IReadOnlyList<string> Skipped)> ApplyAsync(HavenSettings settings,
        IJournal journal, string hostName, ILogger log, CancellationToken ct)
    {
        var serializer = new JsonEventSerializer(HavenManifests.CreateRegistry());
        var entries = new List<object>();
        await foreach (var entry in journal.ReadAsync("cluster", 1, long.MaxValue, cancellationToken: ct))
            entries.Add(serializer.Deserialize(entry));
        var cluster = ClusterSettingsReplay.Replay(entries);
        var fileAlone = SettingsResolver.Resolve([], settings.Source);
        if (cluster.IsEmpty) return (settings, fileAlone, []);
        var (used, skipped) = Usable(cluster, settings.Source, hostName);
        foreach (var line in skipped)
            log.LogWarning("Cluster-wide setting skipped on this host, which starts with its file and the defaults for it: {Setting}", line);
        if (used.Count == 0) return (settings, fileAlone, skipped);
        var effective = SettingsResolver.Resolve(used, settings.Source);
        var applied = effective.All.Where(s => s.Source == SettingSource.Cluster).Select(s => $"{s.Key} = {s.Value}").ToList();
        log.LogInformation("Starting with {Count} cluster-wide settings: {Settings}", applied.Count, string.Join(", ", applied));
        return (HavenSettings.From(effective.Config) with { Source = settings.Source }, effective, skipped);
    }

    /// <summary>
    /// The cluster-wide settings this host can start with, and one line for each one it cannot (KEY = VALUE: why).
    /// A value is skipped when a problem names its key; when no problem names one, the value whose
    /// removal alone takes problems away; when none does, every cluster-wide value (the file alone passed at start).
    /// </summary>
    internal static (Dictionary<string, string> Used, List<string> Skipped) Usable(IReadOnlyDictionary<string, string> cluster, Config? file, string hostName)
    {
        var used = new Dictionary<string, string>(cluster, StringComparer.Ordinal);
        var skipped = new List<string>();
        IReadOnlyList<ConfigProblem> Problems(IEnumerable<KeyValuePair<string, string>> values) =>
            StartValidation.Problems(SettingsResolver.Resolve(values, file).Config, hostName);
        var problems = Problems(used);
        while (problems.Count > 0 && used.Count > 0)
        {
            var named = used.Keys.Where(k => problems.Any(p => Names(p, k))).ToList();
            if (named.Count == 0)
            {
                var current = problems.Count;
                named = used.Keys.Where(k => Problems(used.Where(u => u.Key != k)).Count < current).Take(1).ToList();
            }
            if (named.Count == 0) named = [.. used.Keys];
            foreach (var key in named)
            {
                var why = problems.Where(p => Names(p, key)).DefaultIfEmpty(problems[0]);
                skipped.Add($"{key} = {used[key]}: {StartValidation.Describe(why)}");
                used.Remove(key);
            }
            problems = Problems(used);
        }
        return (used, skipped);
    }

    private static bool Names(ConfigProblem problem, string key) =>
        problem.Path == key || problem.Path.StartsWith(key + ".", StringComparison.Ordinal) || problem.Path.StartsWith(key + "[", StringComparison.Ordinal)
        || (problem.Path.Length == 0 && problem.Message.Contains(key, StringComparison.Ordinal));
}
