using System.Collections.Immutable;
using System.Globalization;
using Haven.Actors.Cluster;
using Haven.Actors.SplitBrain;
using Haven.Actors.Vms;

namespace Haven.Actors.Simulation;

/// <summary>
/// A whole-cluster scenario (pve-ha-manager's <c>src/test/test-*/</c> folders): a folder with a <c>cluster</c> header
/// (<see cref="ScenarioCluster"/>), a <c>cmdlist</c> of timed commands (<see cref="ScenarioCommand"/>) and the expected
/// trace, <c>trace.expect</c>. Read by <see cref="ScenarioReader"/>; run by <see cref="ClusterSimulation.RunScenario"/>.
/// </summary>
public sealed record Scenario(string Name, ScenarioCluster Cluster, ImmutableArray<ScenarioCommand> Commands)
{
    public const string ClusterFile = "cluster";
    public const string CommandFile = "cmdlist";
    public const string ExpectFile = "trace.expect";
}

/// <summary>
/// The <c>cluster</c> header: <c>nodes N</c> (n1..nN), <c>addresses-per-node K</c> (10.0.0.11 upwards),
/// <c>vms-per-node K</c> (VM-01 upwards, VM-0i preferring node ((i-1) mod N)+1, the even ones live-migratable),
/// <c>seed S</c>, <c>stable-after D</c>, <c>shutdown-lock on|off</c>, <c>shutdown-lock-limit D</c>,
/// <c>no-quorum-policy stop|freeze|ignore|demote|fence</c> and <c>end D</c> (when the run stops).
/// </summary>
public sealed record ScenarioCluster
{
    public int Nodes { get; init; } = 3;
    public int AddressesPerNode { get; init; } = 1;
    public int VmsPerNode { get; init; } = 1;
    public int Seed { get; init; } = 1;
    public TimeSpan StableAfter { get; init; } = SimulationOptions.DefaultStableAfter;
    public bool ShutdownLock { get; init; }
    public TimeSpan ShutdownLockLimit { get; init; }
    public NoQuorumPolicy NoQuorumPolicy { get; init; } = NoQuorumPolicy.Stop;
    public TimeSpan End { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>One timed line of a <c>cmdlist</c>: at <see cref="At"/>, do <see cref="Text"/>; <see cref="Where"/> is FILE:LINE.</summary>
public abstract record ScenarioCommand(TimeSpan At, string Text, string Where);

/// <summary><c>partition n1 | n2 n3</c>: the network splits into these sides (every node on exactly one).</summary>
public sealed record PartitionCommand(TimeSpan At, string Text, string Where, ImmutableArray<ImmutableArray<int>> Sides) : ScenarioCommand(At, Text, Where);

/// <summary><c>one-way n1 -> n2 for D</c>: n2 stops hearing n1; the ring re-forms without one, then the other, every second, until D is up, then heals.</summary>
public sealed record OneWayCommand(TimeSpan At, string Text, string Where, int From, int To, TimeSpan For) : ScenarioCommand(At, Text, Where);

/// <summary>
/// A fault or a harness action on one node (or none): heal, crash (power loss), kill (the daemon dies), boot (power on and
/// start), start (start the daemon again), stop (a clean daemon stop, SIGTERM), fence-fails, fence-works, fence-lies,
/// heuristics reachable|unreachable, monitor fails|passes, expect converged.
/// </summary>
public sealed record NodeCommand(TimeSpan At, string Text, string Where, string Action, int Node) : ScenarioCommand(At, Text, Where);

/// <summary>An operator's <c>haven …</c> command line, sent to the ClusterActor of <see cref="Via"/> (0: the lowest-numbered primary host).</summary>
public sealed record OperatorCommand(TimeSpan At, string Text, string Where, int Via, object Message) : ScenarioCommand(At, Text, Where);

/// <summary>A <c>cluster</c> or <c>cmdlist</c> line that cannot be read: the message names FILE:LINE and what is wrong.</summary>
public sealed class ScenarioFormatException(string message) : Exception(message);

/// <summary>Reads a scenario's files. Every problem names FILE:LINE; nothing is run from a scenario with one.</summary>
public static class ScenarioReader
{
    /// <summary>A scenario from the texts of its <c>cluster</c> and <c>cmdlist</c> files (the file names are for the messages).</summary>
    public static Scenario Read(string name, string clusterText, string clusterFile, string commandText, string commandFile)
    {
        var cluster = ReadCluster(clusterText, clusterFile);
        return new Scenario(name, cluster, ReadCommands(commandText, commandFile, cluster));
    }

    private static IEnumerable<(int Line, string[] Words)> Lines(string text)
    {
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length > 0) yield return (number, line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }
    }

    public static ScenarioCluster ReadCluster(string text, string file)
    {
        var cluster = new ScenarioCluster();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, words) in Lines(text))
        {
            var where = $"{file}:{line}";
            if (words.Length != 2) throw new ScenarioFormatException($"{where}: expected 'KEY VALUE', got '{string.Join(' ', words)}'");
            var (key, value) = (words[0], words[1]);
            if (!seen.Add(key)) throw new ScenarioFormatException($"{where}: {key} is set twice");
            cluster = key switch
            {
                "nodes" => cluster with { Nodes = Int(value, SimulationOptions.MinNodes, SimulationOptions.MaxNodes, where, key) },
                "addresses-per-node" => cluster with { AddressesPerNode = Int(value, 0, 30, where, key) },
                "vms-per-node" => cluster with { VmsPerNode = Int(value, 0, 30, where, key) },
                "seed" => cluster with { Seed = Int(value, int.MinValue, int.MaxValue, where, key) },
                "stable-after" => cluster with { StableAfter = Positive(value, where, key) },
                "shutdown-lock" => cluster with { ShutdownLock = Switch(value, where, key) },
                "shutdown-lock-limit" => cluster with { ShutdownLockLimit = Duration(value, where, key) },
                "no-quorum-policy" => cluster with { NoQuorumPolicy = Policy(value, where) },
                "end" => cluster with { End = Positive(value, where, key) },
                _ => throw new ScenarioFormatException(
                    $"{where}: unknown key '{key}' (nodes, addresses-per-node, vms-per-node, seed, stable-after, shutdown-lock, shutdown-lock-limit, no-quorum-policy, end)"),
            };
        }
        return cluster;
    }

    public static ImmutableArray<ScenarioCommand> ReadCommands(string text, string file, ScenarioCluster cluster)
    {
        var commands = new List<ScenarioCommand>();
        var last = TimeSpan.Zero;
        foreach (var (line, words) in Lines(text))
        {
            var where = $"{file}:{line}";
            if (words.Length < 3 || words[0] != "at")
                throw new ScenarioFormatException($"{where}: expected 'at TIME COMMAND', got '{string.Join(' ', words)}'");
            var at = Duration(words[1], where, "the time");
            if (at < last) throw new ScenarioFormatException($"{where}: {words[1]} is before the line above ({Seconds(last)}): keep the lines in time order");
            if (at >= cluster.End) throw new ScenarioFormatException($"{where}: {words[1]} is not before the end of the run ({Seconds(cluster.End)}, 'end' in {Scenario.ClusterFile})");
            last = at;
            commands.Add(Command(at, words[2..], where, cluster));
        }
        return [.. commands];
    }

    private static ScenarioCommand Command(TimeSpan at, string[] w, string where, ScenarioCluster cluster)
    {
        var text = string.Join(' ', w);
        int N(string word) => Node(word, cluster, where);
        ScenarioFormatException Usage(string form) => new($"{where}: '{text}': expected '{form}'");
        switch (w[0])
        {
            case "partition":
                return Partition(at, text, where, w[1..], cluster);
            case "one-way" when w.Length == 6 && w[2] == "->" && w[4] == "for":
                var (a, b) = (N(w[1]), N(w[3]));
                if (a == b) throw new ScenarioFormatException($"{where}: '{text}': a node cannot lose its own messages");
                return new OneWayCommand(at, text, where, a, b, Positive(w[5], where, "the duration"));
            case "one-way":
                throw Usage("one-way NODE -> NODE for DURATION");
            case "heal" when w.Length == 1:
                return new NodeCommand(at, text, where, "heal", 0);
            case "expect" when w.Length == 2 && w[1] == "converged":
                return new NodeCommand(at, text, where, "expect-converged", 0);
            case "crash" or "kill" or "boot" or "start" or "stop" or "fence-fails" or "fence-works" or "fence-lies" when w.Length == 2:
                return new NodeCommand(at, text, where, w[0], N(w[1]));
            case "heuristics" when w.Length == 3 && w[2] is "reachable" or "unreachable":
                return new NodeCommand(at, text, where, "heuristics-" + w[2], N(w[1]));
            case "monitor" when w.Length == 3 && w[2] is "fails" or "passes":
                return new NodeCommand(at, text, where, "monitor-" + w[2], N(w[1]));
            case "on" when w.Length >= 3 && w[2] == "haven":
                return new OperatorCommand(at, text, where, N(w[1]), Operator(w[3..], text, where, cluster, leaving: true));
            case "haven":
                return new OperatorCommand(at, text, where, 0, Operator(w[1..], text, where, cluster, leaving: false));
            case "heal" or "expect" or "crash" or "kill" or "boot" or "start" or "stop" or "fence-fails" or "fence-works" or "fence-lies" or "heuristics" or "monitor" or "on":
                throw Usage(w[0] switch
                {
                    "heal" => "heal",
                    "expect" => "expect converged",
                    "heuristics" => "heuristics NODE reachable|unreachable",
                    "monitor" => "monitor NODE fails|passes",
                    "on" => "on NODE haven …",
                    var verb => verb + " NODE",
                });
            default:
                throw new ScenarioFormatException($"{where}: unknown command '{text}' (partition, one-way, heal, crash, kill, boot, start, stop, "
                                                  + "fence-fails, fence-works, fence-lies, heuristics, monitor, expect converged, [on NODE] haven …)");
        }
    }

    private static PartitionCommand Partition(TimeSpan at, string text, string where, string[] words, ScenarioCluster cluster)
    {
        var sides = new List<List<int>> { new() };
        foreach (var word in words)
        {
            if (word == "|") sides.Add([]);
            else sides[^1].Add(Node(word, cluster, where));
        }
        if (sides.Count < 2 || sides.Any(s => s.Count == 0))
            throw new ScenarioFormatException($"{where}: '{text}': expected 'partition NODE… | NODE… [| NODE…]', every side with a node");
        var all = sides.SelectMany(s => s).ToList();
        if (all.Distinct().Count() != all.Count) throw new ScenarioFormatException($"{where}: '{text}': a node is on two sides");
        if (all.Count != cluster.Nodes)
            throw new ScenarioFormatException($"{where}: '{text}': every node must be on a side; missing "
                                              + string.Join(" ", Enumerable.Range(1, cluster.Nodes).Except(all).Select(n => "n" + n)));
        return new PartitionCommand(at, text, where, [.. sides.Select(s => s.Order().ToImmutableArray()).OrderBy(s => s[0])]);
    }

    /// <summary>The <c>haven</c> verbs a scenario may run, as the CLI spells them, and the ClusterActor message each one sends.</summary>
    private static object Operator(string[] w, string text, string where, ScenarioCluster cluster, bool leaving)
    {
        int N(string word) => Node(word, cluster, where);
        string Name(string word) => "n" + N(word);
        return w switch
        {
            ["node", "standby", var n] => new SetNodeMode(Name(n), NodeMode.Standby),
            ["node", "unstandby", var n] => new SetNodeMode(Name(n), NodeMode.Unstandby),
            ["maintenance", "on"] => new SetNodeMode(null, NodeMode.MaintenanceOn),
            ["maintenance", "off"] => new SetNodeMode(null, NodeMode.MaintenanceOff),
            ["maintenance", "on", "--node", var n] => new SetNodeMode(Name(n), NodeMode.MaintenanceOn),
            ["maintenance", "off", "--node", var n] => new SetNodeMode(Name(n), NodeMode.MaintenanceOff),
            ["ip", "move", var ip, var n] => new MoveAddress(ip, Name(n)),
            ["vm", "migrate", var vm, var n] => new MigrateVm(vm, Name(n)),
            ["vm", "start" or "enable", var vm] => new SetVmDesired(vm, VmDesiredState.Started),
            ["vm", "stop", var vm] => new SetVmDesired(vm, VmDesiredState.Stopped),
            ["vm", "disable", var vm] => new SetVmDesired(vm, VmDesiredState.Disabled),
            ["vm", "cleanup", var vm] => new CleanupVm(vm),
            ["config", "set", var key, var value] => new SetSetting(key, value),
            ["config", "reset", var key] => new ResetSetting(key),
            ["ha", "enable"] => new SetSetting(Configuration.ClusterWideSettings.HaEnabledKey, "on"),
            ["ha", "disable"] => new SetSetting(Configuration.ClusterWideSettings.HaEnabledKey, "off"),
            ["cluster", "down", var n] => new DownNode(Name(n)),
            ["fence", "confirm", var n, "--reason", .. var reason] when reason.Length > 0 => new ConfirmFenced(Name(n), string.Join(' ', reason)),
            ["cluster", "leave"] when leaving => LeaveCluster.Instance,
            ["cluster", "leave"] => throw new ScenarioFormatException($"{where}: '{text}': cluster leave runs on the host that leaves: write 'on NODE haven cluster leave'"),
            _ => throw new ScenarioFormatException($"{where}: '{text}': not a haven command a scenario runs (node standby|unstandby NODE, maintenance on|off [--node NODE], "
                                                   + "ip move ADDRESS NODE, vm migrate VM NODE, vm start|stop|enable|disable|cleanup VM, config set KEY VALUE, config reset KEY, "
                                                   + "ha enable|disable, cluster down NODE, cluster leave, fence confirm NODE --reason TEXT)"),
        };
    }

    private static int Node(string word, ScenarioCluster cluster, string where)
    {
        if (word.Length > 1 && word[0] == 'n' && int.TryParse(word.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= cluster.Nodes)
            return n;
        throw new ScenarioFormatException($"{where}: '{word}' is not a node of this cluster (n1..n{cluster.Nodes})");
    }

    private static int Int(string value, int min, int max, string where, string key) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n : throw new ScenarioFormatException($"{where}: {key} must be a whole number from {min} to {max}, got '{value}'");

    private static bool Switch(string value, string where, string key) => value switch
    {
        "on" => true,
        "off" => false,
        _ => throw new ScenarioFormatException($"{where}: {key} must be on or off, got '{value}'"),
    };

    private static NoQuorumPolicy Policy(string value, string where) => value switch
    {
        "stop" => NoQuorumPolicy.Stop,
        "freeze" => NoQuorumPolicy.Freeze,
        "ignore" => NoQuorumPolicy.Ignore,
        "demote" => NoQuorumPolicy.Demote,
        "fence" => NoQuorumPolicy.Fence,
        _ => throw new ScenarioFormatException($"{where}: no-quorum-policy must be stop, freeze, ignore, demote or fence, got '{value}'"),
    };

    private static TimeSpan Positive(string value, string where, string what)
    {
        var span = Duration(value, where, what);
        return span > TimeSpan.Zero ? span : throw new ScenarioFormatException($"{where}: {what} must be more than 0, got '{value}'");
    }

    /// <summary>A duration as <c>500ms</c>, <c>5s</c>, <c>2.5s</c>, <c>1m30s</c>, <c>2m</c>.</summary>
    public static TimeSpan Duration(string value, string where, string what)
    {
        var total = 0.0;
        var i = 0;
        while (i < value.Length)
        {
            var start = i;
            while (i < value.Length && (char.IsAsciiDigit(value[i]) || value[i] == '.')) i++;
            var unitStart = i;
            while (i < value.Length && char.IsAsciiLetterLower(value[i])) i++;
            if (unitStart == start || !double.TryParse(value.AsSpan(start, unitStart - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                return Bad();
            switch (value[unitStart..i])
            {
                case "ms": total += number; break;
                case "s": total += number * 1_000; break;
                case "m": total += number * 60_000; break;
                default: return Bad();
            }
        }
        return value.Length > 0 && total <= TimeSpan.FromDays(1).TotalMilliseconds ? TimeSpan.FromMilliseconds(Math.Round(total)) : Bad();

        TimeSpan Bad() => throw new ScenarioFormatException($"{where}: {what} '{value}' is not a duration (500ms, 5s, 2.5s, 1m30s, at most a day)");
    }

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
