using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>
/// `haven events [--follow] [--json] [--after N] [--limit N]`: the journaled events, oldest first, one per
/// line (time, persistence id and sequence number, type, fields). `--json` prints an array, or with
/// `--follow` one object per line. `haven events scripts` lists the event scripts (<see cref="EventScriptsVerb"/>).
/// </summary>
internal static class EventsVerb
{
    public static Command Build(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var follow = new Option<bool>("--follow", "-f") { Description = "keep streaming new events until interrupted" };
        var after = new Option<long>("--after") { Description = "only events after this journal position", HelpName = "N" };
        var digest = new Option<bool>("--digest") { Description = "print the position and SHA-256 digest of the replicated stream (equal on hosts with identical journals)" };
        var limit = new Option<long>("--limit") { Description = "at most this many events (with --follow: stop after this many)", HelpName = "N", DefaultValueFactory = _ => long.MaxValue };
        HavenCli.Require(after, n => n >= 0, "--after must be 0 or more");
        HavenCli.Require(limit, n => n >= 1, "--limit must be 1 or more");
        var cmd = new Command("events", "show the journaled events, oldest first") { socket, json, follow, after, limit, digest };
        cmd.Subcommands.Add(EventScriptsVerb.Build(cli));
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var asJson = parse.GetValue(json);
            if (parse.GetValue(digest))
            {
                var view = await client.GetAsync("v1/cluster", ct);
                var (index, sha) = (view.GetProperty("streamIndex").GetInt64(), view.GetProperty("digest").GetString() ?? "");
                cli.Out.WriteLine(asJson ? ControlJson.Line(new DigestView(index, sha)) : $"{index} {(sha.Length == 0 ? "-" : sha)}");
                return ExitCodes.Success;
            }
            var from = parse.GetValue(after);
            var max = parse.GetValue(limit);
            if (parse.GetValue(follow))
            {
                var shown = 0L;
                using var following = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (ReferenceEquals(cli.Out, Console.Out) && Console.IsOutputRedirected)
                    _ = StandardOutputWatch.WhenClosedAsync(following.Token).ContinueWith(_ => following.Cancel(), TaskScheduler.Default);
                await foreach (var e in client.StreamAsync($"v1/events/stream?after={from}", following.Token))
                {
                    cli.Out.WriteLine(asJson ? ControlJson.Line(e) : Line(e));
                    await cli.Out.FlushAsync(ct);
                    if (++shown >= max) break;
                }
                await following.CancelAsync(); // ends the watch
                return ExitCodes.Success;
            }
            var events = await client.GetAsync($"v1/events?after={from}&limit={max}", ct);
            if (asJson)
            {
                cli.Out.WriteLine(ControlJson.Pretty(events));
                return ExitCodes.Success;
            }
            foreach (var e in events.EnumerateArray()) cli.Out.WriteLine(Line(e));
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>`TIME ID#SEQ TYPE key=value ...`; string values with spaces are quoted.</summary>
    internal static string Line(JsonElement e)
    {
        var sb = new StringBuilder();
        var time = e.GetProperty("timestamp").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        sb.Append(time).Append(' ')
          .Append(e.GetProperty("persistenceId").GetString()).Append('#').Append(e.GetProperty("sequenceNr").GetInt64()).Append(' ')
          .Append(e.GetProperty("type").GetString());
        if (e.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Object)
        {
            foreach (var f in fields.EnumerateObject()) sb.Append(' ').Append(f.Name).Append('=').Append(Value(f.Value));
        }
        return sb.ToString();
    }

    private static string Value(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString() is { } s && (s.Length == 0 || s.Any(char.IsWhiteSpace) || s.Contains('"')) ? ControlJson.Line(s) : v.GetString()!,
        JsonValueKind.Null => "null",
        _ => v.GetRawText(),
    };
}
