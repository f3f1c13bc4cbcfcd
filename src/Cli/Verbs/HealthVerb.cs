using System.CommandLine;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Cli;

/// <summary>
/// `haven health [--json]`: the daemon's checks with SUCCESS / WARNING / ERROR and the reason. Exit code 0 all
/// success, 1 a warning, 2 an error — here 2 means "unhealthy", unlike the usage-error 2 of the other verbs
/// (havc-health's convention, which monitoring scripts expect). A daemon that cannot be reached is an error (2).
/// </summary>
internal static class HealthVerb
{
    public const int Warning = 1;
    public const int Unhealthy = 2;

    public static Command Build(CliContext cli)
    {
        var socket = HavenCli.SocketOption();
        var json = HavenCli.JsonOption();
        var cmd = new Command("health", "check journal, cluster, peers, fence devices and heuristic addresses; exit 0 healthy, 1 warning, 2 error") { socket, json };
        cmd.SetAction(async (parse, ct) =>
        {
            JsonElement report;
            try
            {
                using var client = new ControlClient(parse.GetValue(socket)!);
                report = await client.GetAsync("v1/health", ct, TimeSpan.FromSeconds(60));
            }
            catch (CliException e)
            {
                throw new CliException(e.Message, Unhealthy);
            }
            if (parse.GetValue(json)) cli.Out.WriteLine(ControlJson.Pretty(report));
            else Print(cli.Out, report);
            return ExitCode(report.GetProperty("status").GetString());
        });
        return cmd;
    }

    internal static int ExitCode(string? status) => status switch
    {
        HealthStatus.Success => ExitCodes.Success,
        HealthStatus.Warning => Warning,
        _ => Unhealthy,
    };

    private static void Print(TextWriter output, JsonElement report)
    {
        var checks = report.GetProperty("checks").EnumerateArray()
            .Select(c => (Status: (c.GetProperty("status").GetString() ?? "").ToUpperInvariant(), Name: c.GetProperty("name").GetString() ?? "", Reason: c.GetProperty("reason").GetString() ?? ""))
            .ToList();
        var width = checks.Count == 0 ? 0 : checks.Max(c => c.Name.Length);
        foreach (var (status, name, reason) in checks)
            output.WriteLine($"{status,-7}  {name.PadRight(width)}  {reason}");
        output.WriteLine($"overall: {(report.GetProperty("status").GetString() ?? "").ToUpperInvariant()}");
    }
}

/// <summary>The status of one `haven health` check and of the whole report, as the control API spells it.</summary>
internal static class HealthStatus
{
    public const string Success = "success";
    public const string Warning = "warning";
    public const string Error = "error";
}
