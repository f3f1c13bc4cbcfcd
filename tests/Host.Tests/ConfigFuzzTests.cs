using System.Diagnostics;
using System.Text;
using Haven.Actors.Configuration;

namespace Haven.Host.Tests;

/// <summary>
/// Seeded fuzz of the configuration as an operator meets it: `haven config check` on mutated real configuration files (the
/// examples, the profiles, reference.conf itself, with includes) and on random bytes; and `haven config set` on a running
/// daemon with random keys and values. Every input ends within a bound as success or one clear "haven: …" line with exit 1 (no
/// exception escapes); a refused `config set` leaves the journal as it was; and whatever `config set` accepted, the daemon still
/// starts afterwards.
/// </summary>
public sealed class ConfigFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(12); // each; the counts bound them on a fast machine

    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", "=", ":", "+=", ",", "\n", "\"", "\"\"\"", "${haven.cluster.name}", "${?NOPE}", "include \"inc.conf\"",
        "include \"/dev/zero\"", "include required(\"missing.conf\")", "-1", "0", "99", "1000d", "0s", "1e99", "4294967296", "on",
        "true", "null", "\"/bin/sh\"", "\"\"", "10.0.0.1/33", "::1", "# c\n", "haven.ips.duplicate-probes = 99\n",
        "haven.fencing.enabled = on\n", "haven.split-brain-resolver.stable-after = 1000d\n", "haven.control.socket = \"\"\n", "é", "\u0000",
    ];

    [Fact]
    public async Task ConfigCheck_MutatedRealFilesAndRandomBytes_OkOrAClearErrorExit1()
    {
        using var dir = new TempDir();
        var seeds = RealConfigs().Select(File.ReadAllText).Append(dir.DaemonConfig() is var own ? File.ReadAllText(own) : "").ToArray();
        dir.WriteConfig("inc.conf", "haven.logging.level = debug\n");
        var random = new Random(16_005);
        var failures = new List<string>();
        var codes = new int[3];
        var clock = Stopwatch.StartNew();
        var i = 0;
        for (; i < 1500 && clock.Elapsed < Budget && failures.Count < 3; i++)
        {
            var path = dir.File("fuzz.conf");
            if (i % 5 == 0)
            {
                var bytes = new byte[random.Next(0, 4096)];
                random.NextBytes(bytes);
                File.WriteAllBytes(path, bytes);
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            else dir.WriteConfig("fuzz.conf", Mutate(seeds[random.Next(seeds.Length)], random));
            var (code, err) = await CheckAsync(path);
            if (code is not (0 or 1)) failures.Add($"exit {code}: {err}\n--- input ---\n{File.ReadAllText(path)}");
            else if (code == 1 && !IsClearError(err)) failures.Add($"not a clear error: {err}\n--- input ---\n{File.ReadAllText(path)}");
            else codes[code]++;
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        Assert.True(codes[0] > 0 && codes[1] > 0, $"accepted {codes[0]}, refused {codes[1]}: both kinds exercised");
        Assert.True(i >= 50, $"only {i} files in {Budget.TotalSeconds} s");
    }

    [Fact]
    public async Task ConfigSet_RandomKeysAndValues_AppliedOrRefusedWithAClearError_RefusalsChangeNothing_DaemonStillStarts()
    {
        using var dir = new TempDir();
        var config = dir.SimulatedDaemonConfig();
        var socket = dir.File("haven.sock");
        var keys = HavenConfig.Schema.Settings.Keys.Order(StringComparer.Ordinal).ToArray();
        var random = new Random(16_006);
        var failures = new List<string>();
        var (accepted, refused) = (0, 0);
        await using (var daemon = await RunningDaemon.StartAsync(config))
        {
            await daemon.WaitForEventAsync("cluster.dc-changed.v1");
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 600 && clock.Elapsed < Budget && failures.Count < 3; i++)
            {
                var key = random.Next(6) == 0 ? Mutate(keys[random.Next(keys.Length)], random) : keys[random.Next(keys.Length)];
                var value = Value(random);
                var before = await daemon.State.Journal.CountAsync(CancellationToken.None);
                var verb = random.Next(8) == 0 ? "reset" : "set";
                string[] args = verb == "set" ? ["config", "set", key, value, "--socket", socket] : ["config", "reset", key, "--socket", socket];
                var (code, _, err) = await CliRunner.RunAsync(args).WaitAsync(TimeSpan.FromSeconds(30));
                var what = $"config {verb} {Shorten(key)} {Shorten(value)} -> {code} {Shorten(err)}";
                if (code == 0) accepted++;
                else if (code is 1 or 2 && IsClearError(err))
                {
                    refused++;
                    if (await daemon.State.Journal.CountAsync(CancellationToken.None) != before) failures.Add("journal changed on a refusal: " + what);
                }
                else failures.Add(what);
            }
            Assert.False(daemon.Run.IsCompleted, "the daemon stopped");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(accepted > 0 && refused > 0, $"accepted {accepted}, refused {refused}: both kinds exercised");

        // Whatever was accepted cluster-wide, the host starts again (with its file and defaults where a value does not fit).
        await using var again = await RunningDaemon.StartAsync(config);
        Assert.False(again.Run.IsCompleted);
    }

    private static readonly string[] Values =
    [
        "3s", "0s", "-1s", "1000d", "24d", "100ms", "soon", "-1", "0", "1", "2", "99", "65536", "4294967296", "1e3", "on", "off", "true",
        "yes", "maybe", "", " ", "\"\"", "[]", "[1, 2]", "[\"10.0.0.1\"]", "{}", "{ a = 1 }", "\"/bin/sh\"", "/tmp", "keep-majority",
        "static-quorum", "down-all", "${haven.cluster.name}", "include \"/dev/zero\"", "10.0.0.1/33", "::1", "é", "\u0000", "{", "\"",
        "null", "[1, [2, [3]]]", "debug", "kvm", "lab",
    ];

    private static string Value(Random random) => random.Next(10) switch
    {
        0 => new string('v', random.Next(1, 70_000)),
        1 => "[" + string.Join(", ", Enumerable.Range(0, random.Next(1, 6000)).Select(n => $"\"10.0.{n / 250}.{n % 250 + 1}\"")) + "]",
        2 => Mutate(Values[random.Next(Values.Length)], random),
        _ => Values[random.Next(Values.Length)],
    };

    private static async Task<(int Code, string Err)> CheckAsync(string path)
    {
        var (code, _, err) = await CliRunner.RunAsync("config", "check", path).WaitAsync(TimeSpan.FromSeconds(30));
        return (code, err);
    }

    /// <summary>
    /// A clear refusal: it ends with one "haven: …" line saying something, and every line before it (`config check` lists a
    /// file's problems one a line) names where, FILE:LINE:COL; no exception text.
    /// </summary>
    private static bool IsClearError(string err)
    {
        var lines = err.TrimEnd().Split('\n');
        return lines[^1].StartsWith("haven: ", StringComparison.Ordinal) && lines[^1].Length > "haven: ".Length
            && lines[..^1].All(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\S+:\d+:\d+: \S"))
            && !err.Contains("   at ", StringComparison.Ordinal) && !err.Contains("Exception", StringComparison.Ordinal);
    }

    private static IEnumerable<string> RealConfigs()
    {
        var root = RepoRoot();
        return Directory.EnumerateFiles(Path.Combine(root, "hocon"), "*.conf", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Actors.sln) is not above " + AppContext.BaseDirectory);
    }

    private static string Mutate(string seed, Random random)
    {
        var sb = new StringBuilder(seed);
        var edits = random.Next(1, 5);
        for (var e = 0; e < edits; e++)
        {
            var at = sb.Length == 0 ? 0 : random.Next(sb.Length);
            switch (random.Next(5))
            {
                case 0 when sb.Length > 0: sb.Remove(at, Math.Min(random.Next(1, 12), sb.Length - at)); break;
                case 1: sb.Insert(at, Fragments[random.Next(Fragments.Length)]); break;
                case 2 when sb.Length > 0: sb[at] = (char)random.Next(32, 127); break;
                case 3 when sb.Length > 0: sb.Length = at; break;
                default: sb.Insert(at, Fragments[random.Next(Fragments.Length)]); break;
            }
        }
        return sb.ToString();
    }

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
