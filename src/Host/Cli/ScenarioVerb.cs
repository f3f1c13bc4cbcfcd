using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Host.Cli;

/// <summary>
/// `haven simulate --scenario DIR [--check | --update]`: runs a scripted whole-cluster scenario (pve-ha-manager's test
/// folders: a `cluster` header, a timed `cmdlist`, the expected `trace.expect`) and prints its trace; `--check` diffs it
/// against trace.expect (exit 1 on a difference, with the first differing lines), `--update` rewrites trace.expect. An
/// invariant violated or a command that could not run fails the scenario (exit 1) in every mode.
/// </summary>
internal static class ScenarioVerb
{
    /// <summary>Lines of context around the first difference.</summary>
    private const int Context = 3;

    public static int Run(CliContext cli, ClusterActorFactory factory, string dir, bool check, bool update)
    {
        var scenario = Read(dir);
        var result = ClusterSimulation.RunScenario(scenario, factory);
        var expectPath = Path.Combine(dir, Scenario.ExpectFile);
        var code = ExitCodes.Success;
        if (update)
        {
            File.WriteAllText(expectPath, result.Text);
            cli.Out.WriteLine($"{scenario.Name}: wrote {expectPath} ({result.Trace.Length} lines)");
        }
        else if (check)
        {
            if (!File.Exists(expectPath)) throw new CliException($"{expectPath}: missing (write it with --update, then read it)");
            var diff = Diff(File.ReadAllText(expectPath), result.Text, expectPath);
            if (diff is null) cli.Out.WriteLine($"{scenario.Name}: trace matches {expectPath} ({result.Trace.Length} lines)");
            else
            {
                cli.Out.Write(diff);
                cli.Out.WriteLine($"{scenario.Name}: the trace differs from {expectPath} (rerun with --update and read the change)");
                code = ExitCodes.Error;
            }
        }
        else cli.Out.Write(result.Text);
        foreach (var error in result.Errors) cli.Err.WriteLine($"{scenario.Name}: {error}");
        foreach (var v in result.Violations) cli.Err.WriteLine($"{scenario.Name}: invariant violated: {v}");
        return result.Passed ? code : ExitCodes.Error;
    }

    /// <summary>Reads DIR's cluster and cmdlist; a missing file or a bad line is an error naming FILE:LINE.</summary>
    internal static Scenario Read(string dir)
    {
        if (!Directory.Exists(dir)) throw new CliException($"--scenario {dir}: no such folder");
        var clusterPath = Path.Combine(dir, Scenario.ClusterFile);
        var commandPath = Path.Combine(dir, Scenario.CommandFile);
        foreach (var file in new[] { clusterPath, commandPath })
            if (!File.Exists(file))
                throw new CliException($"{file}: missing (a scenario folder holds {Scenario.ClusterFile}, {Scenario.CommandFile} and {Scenario.ExpectFile})");
        try
        {
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
            return ScenarioReader.Read(name, File.ReadAllText(clusterPath), clusterPath, File.ReadAllText(commandPath), commandPath);
        }
        catch (ScenarioFormatException e)
        {
            throw new CliException(e.Message);
        }
    }

    /// <summary>Null when equal, else a unified-style diff of the first differing lines (with <see cref="Context"/> lines around them).</summary>
    internal static string? Diff(string expected, string actual, string expectPath)
    {
        var want = expected.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        var got = actual.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        var first = 0;
        while (first < want.Length && first < got.Length && want[first] == got[first]) first++;
        if (first == want.Length && first == got.Length) return null;
        // the end of the differing stretch: the first line after which both go on alike again
        int w = want.Length, g = got.Length;
        while (w > first && g > first && want[w - 1] == got[g - 1]) { w--; g--; }
        var from = Math.Max(0, first - Context);
        const int MaxShown = 40;
        var text = new System.Text.StringBuilder();
        text.AppendLine($"--- {expectPath}");
        text.AppendLine("+++ this run");
        var after = Math.Min(want.Length, w + Context) - w;
        text.AppendLine($"@@ -{from + 1},{w - from + after} +{from + 1},{g - from + after} @@");
        for (var i = from; i < first; i++) text.AppendLine(" " + want[i]);
        foreach (var line in want[first..w].Take(MaxShown)) text.AppendLine("-" + line);
        if (w - first > MaxShown) text.AppendLine($"-… {w - first - MaxShown} more");
        foreach (var line in got[first..g].Take(MaxShown)) text.AppendLine("+" + line);
        if (g - first > MaxShown) text.AppendLine($"+… {g - first - MaxShown} more");
        for (var i = w; i < w + after; i++) text.AppendLine(" " + want[i]);
        return text.ToString();
    }
}
