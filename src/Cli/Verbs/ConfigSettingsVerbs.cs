using System.CommandLine;
using System.CommandLine.Completions;
using System.Text.Json;
using Haven.Actors.Configuration;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>
/// `haven config get [KEY] [--json]`, `haven config set KEY VALUE`, `haven config reset KEY`: the
/// cluster-wide settings kept in the replicated state, and each value's source on this host.
/// </summary>
internal static class ConfigSettingsVerbs
{
    public static IEnumerable<Command> Build(CliContext cli) => [Get(cli), Set(cli), Reset(cli)];

    private static Command Get(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var key = new Argument<string?>("KEY") { Description = "one setting, or a section such as haven.heuristics; all when left out", Arity = ArgumentArity.ZeroOrOne };
        key.CompletionSources.Add(_ => HavenConfig.Schema.Settings.Keys.Select(k => new CompletionItem(k))); // read when completing, not at every start
        var cmd = new Command("get", "effective settings on this host, each with its source (default, cluster, host FILE:LINE) and when it applies (live, or at the daemon's start)")
        {
            key, socket, json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var path = parse.GetValue(key) is { Length: > 0 } k ? $"v1/config?key={Uri.EscapeDataString(k)}" : "v1/config";
            var answer = await client.GetAsync(path, ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(answer));
                return ExitCodes.Success;
            }
            Tables.Rows(cli.Out, ["KEY", "VALUE", "SOURCE", "APPLIES"],
                answer.GetProperty("settings").EnumerateArray().Select(s => (string[])[.. Row(s), Applies(s)]));
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Set(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var key = SettableKey("the setting to set cluster-wide");
        var value = new Argument<string>("VALUE") { Description = "one HOCON value of the setting's type: 5s, on, 3, keep-majority, '\"a b\"', '[\"192.0.2.1\"]'" };
        var cmd = new Command("set", "set a setting for the whole cluster (replicated; a host's own file still wins on that host). "
            + "Every host in view first checks it as its start would, against its own file: one that refuses or does not answer refuses it, "
            + "and nothing changes; a host outside the view is not checked and skips a value it cannot use at its next start (haven health shows it)") { key, value, socket };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.PostAsync("v1/config/set", new SetRequest(parse.GetValue(key), parse.GetValue(value)), ct);
            cli.Out.WriteLine(answer.GetProperty("message").GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Reset(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var key = SettableKey("the cluster-wide setting to remove");
        var cmd = new Command("reset", "remove a cluster-wide setting: hosts go back to their own file or the default "
            + "(checked first by every host in view, as for set)") { key, socket };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var answer = await client.PostAsync("v1/config/reset", new SetRequest(parse.GetValue(key), null), ct);
            cli.Out.WriteLine(answer.GetProperty("message").GetString());
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Argument<string> SettableKey(string description)
    {
        var key = new Argument<string>("KEY") { Description = description };
        key.CompletionSources.Add(_ => HavenConfig.Schema.Settings.Values.Where(s => !s.IsSection && s.Scope != SettingScope.Host).Select(s => new CompletionItem(s.Path)));
        return key;
    }

    /// <summary>"live", "at start", or "RESTART NEEDED (runs X)" for a start-time value changed since the daemon started.</summary>
    internal static string Applies(JsonElement s) =>
        s.TryGetProperty("running", out var running) && running.ValueKind == JsonValueKind.String
            ? $"RESTART NEEDED (runs {running.GetString()})"
            : s.TryGetProperty("applies", out var applies) && applies.GetString() == "live" ? "live" : "at start";

    internal static string[] Row(JsonElement s)
    {
        var source = s.GetProperty("source").GetString() ?? "";
        if (s.GetProperty("origin").GetString() is { } origin) source = $"{source} {origin}";
        return [s.GetProperty("key").GetString() ?? "", s.GetProperty("value").GetString() ?? "", source];
    }
}
