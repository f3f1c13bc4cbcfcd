using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>
/// `haven events scripts [--json]`: the daemon's events.d in run order — NN, name, executable, whether it runs or
/// why it is refused, skipped or ignored, and its last result (event, exit code, duration, when) — then the
/// errors that refuse every run.
/// </summary>
internal static class EventScriptsVerb
{
    public static Command Build(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("scripts", "list the event scripts: run order, executable, refused and why, last result") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            using var client = new ControlClient(parse.GetValue(socket)!);
            var view = await client.GetAsync("v1/events/scripts", ct);
            if (parse.GetValue(json))
            {
                cli.Out.WriteLine(ControlJson.Pretty(view));
                return ExitCodes.Success;
            }
            Print(cli.Out, view);
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static void Print(TextWriter output, JsonElement view)
    {
        var dir = view.GetProperty("directory").GetString() ?? "";
        if (!view.GetProperty("exists").GetBoolean())
        {
            output.WriteLine($"{dir} does not exist: no event scripts run");
            return;
        }
        var scripts = view.GetProperty("scripts").EnumerateArray().ToList();
        if (scripts.Count == 0)
        {
            output.WriteLine($"{dir} holds no event scripts");
            return;
        }
        output.WriteLine(dir);
        Tables.Rows(output, ["NN", "SCRIPT", "EXEC", "STATUS", "LAST EVENT", "EXIT", "DURATION", "WHEN"], scripts.Select(Row));
        foreach (var error in view.GetProperty("errors").EnumerateArray())
            output.WriteLine($"refused: {error.GetString()}");
    }

    private static string[] Row(JsonElement s)
    {
        var order = s.GetProperty("order") is { ValueKind: JsonValueKind.Number } o ? o.GetInt32().ToString("D2", CultureInfo.InvariantCulture) : "-";
        string[] head = [order, s.GetProperty("name").GetString() ?? "", s.GetProperty("executable").GetBoolean() ? "yes" : "no", s.GetProperty("status").GetString() ?? ""];
        if (s.GetProperty("last") is not { ValueKind: JsonValueKind.Object } last) return [.. head, "-", "-", "-", "-"];
        var exit = last.GetProperty("timedOut").GetBoolean() ? "timeout" : last.GetProperty("exitCode").GetInt32().ToString(CultureInfo.InvariantCulture);
        var duration = Tables.Duration(TimeSpan.FromMilliseconds(last.GetProperty("durationMs").GetDouble()));
        var when = last.GetProperty("at").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return [.. head, last.GetProperty("event").GetString() ?? "", exit, duration, when];
    }
}
