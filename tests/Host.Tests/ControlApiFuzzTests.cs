using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Tests;

/// <summary>
/// Seeded fuzz of the control API on a real one-host daemon: random verbs, mutated paths and bodies (mutated valid requests,
/// wrong types, random bytes, long strings). Every request is answered within a bound; every refusal is a 4xx with a
/// non-empty {"error": …} and leaves the journal as it was; no request is a 500.
/// </summary>
public sealed class ControlApiFuzzTests
{
    private const int Seed = 16_004;
    private const int Requests = 1500;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15); // of fuzzing; the count bounds it on a fast machine

    private static readonly string[] Routes =
    [
        "GET v1/cluster", "POST v1/cluster/down", "POST v1/nodes/standby", "POST v1/nodes/unstandby", "POST v1/maintenance/on",
        "POST v1/maintenance/off", "GET v1/vms", "POST v1/vms", "GET v1/vms/web1", "GET v1/vms/web1/explain", "POST v1/vms/web1/start",
        "POST v1/vms/web1/stop", "POST v1/vms/web1/remove", "POST v1/vms/web1/cleanup", "POST v1/vms/web1/manage", "POST v1/vms/web1/unmanage",
        "POST v1/vms/web1/migrate", "POST v1/vms/web1/ha", "GET v1/ips", "POST v1/ips/move", "GET v1/events", "GET v1/events/scripts",
        "GET v1/health", "GET v1/config", "POST v1/config/set", "POST v1/config/reset", "GET v1/ha", "POST v1/ha", "GET v1/fence",
        "GET v1/fence/history", "POST v1/fence/confirm", "GET v1/status", "GET metrics",
    ];

    private static readonly string[] Bodies =
    [
        "{\"node\": \"solo\"}", "{\"node\": null}", "{\"address\": \"10.0.0.9\", \"node\": \"solo\"}", "{\"key\": \"haven.heuristics.interval\", \"value\": \"3s\"}",
        "{\"key\": \"haven.fencing.min-hosts\", \"value\": \"2\"}", "{\"enabled\": true}", "{\"node\": \"ghost\", \"reason\": \"gone\"}",
        "{\"name\": \"web1\", \"hypervisor\": \"process\", \"config\": \"/bin/true\", \"cpu\": 1, \"memory\": 64, \"ha\": true, \"stopped\": true}",
        "{\"name\": \"web2\", \"hypervisor\": \"kvm\", \"config\": \"x\", \"cpu\": -5, \"memory\": 9223372036854775807, \"preferences\": [{\"node\": \"solo\", \"score\": 5}]}",
        "{}", "[]", "null", "\"text\"", "42",
    ];

    private static readonly string[] Junk =
    [
        "\"", "{", "}", "[", "]", ",", ":", "null", "true", "-1", "1e999", "\"\\u0000\"", "\"\\ud800\"", "{\"a\":", "%", "../", "//",
        "%00", "%2e%2e", "é", "\u202e", "\"key\"", "\"value\"", "\"node\"", "\"name\"", "9223372036854775808", "[[[[[[[[", "0x10",
    ];

    [Fact]
    public async Task ControlApi_RandomRequests_AnsweredInTime_ErrorsAre4xxWithAReason_NothingChangedOnAnError()
    {
        using var dir = new TempDir();
        var config = dir.SimulatedDaemonConfig();
        await using var daemon = await RunningDaemon.StartAsync(config);
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        using var client = new ControlClient(dir.File("haven.sock"));
        var random = new Random(Seed);
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var statuses = new SortedDictionary<int, int>();
        var barriers = 0;
        for (; sent < Requests && clock.Elapsed < Budget && failures.Count < 5; sent++)
        {
            var (method, path, body) = Next(random);
            var before = await daemon.State.Journal.CountAsync(CancellationToken.None);
            using var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } };
            using var answer = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            HttpResponseMessage response;
            try
            {
                response = await client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, answer.Token);
            }
            catch (OperationCanceledException)
            {
                failures.Add($"{method} {path}: no answer within 30 s");
                continue;
            }
            using (response)
            {
                var text = method == HttpMethod.Head ? "" : await response.Content.ReadAsStringAsync(answer.Token);
                var what = Shorten($"{method} {path} {(body is null ? "" : Encoding.UTF8.GetString(body))}") + $" -> {(int)response.StatusCode} {Shorten(text)}";
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status < 300 && method != HttpMethod.Get && method != HttpMethod.Head) barriers = await BarrierAsync(daemon, client, barriers + 1);
                if (status >= 500) failures.Add(what);
                else if (status >= 400)
                {
                    if (method != HttpMethod.Head && !HasError(text)) failures.Add("no {\"error\": …}: " + what);
                    if (await daemon.State.Journal.CountAsync(CancellationToken.None) != before)
                    {
                        var added = new List<string>();
                        await foreach (var e in daemon.State.Journal.ReadAllAsync(0)) added.Add(e.Manifest);
                        failures.Add("journal changed on an error: " + what + " wrote " + string.Join(", ", added.Skip((int)before)));
                    }
                }
            }
        }
        Console.WriteLine($"control API fuzz: {sent} requests, status counts {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(statuses.Keys.Any(s => s < 300) && statuses.Keys.Any(s => s >= 400), "both answers and refusals were exercised");
        Assert.True(sent >= 50, $"only {sent} requests in {Budget.TotalSeconds} s");
        Assert.False(daemon.Run.IsCompleted, "the daemon stopped");
    }

    /// <summary>
    /// After a request that changed something: one more change through the same ordered path, waited for until journaled, so that
    /// what the earlier request made the cluster write is in the journal before the next request is judged. A change can make the
    /// cluster write in several hops (a fence request makes this host unclean: the HostActor releases its addresses, then reports
    /// its VMs, then the holdings report is multicast), and a barrier can overtake the later hops; so the barrier is repeated until
    /// one round trip journals nothing but itself (bounded: a change that keeps writing is a failure of its own). Returns the
    /// last barrier number used, so that each barrier sets a value different from the one before.
    /// </summary>
    private static async Task<int> BarrierAsync(RunningDaemon daemon, ControlClient client, int n)
    {
        for (var round = 0; round < 20; round++, n++)
        {
            var journaled = await daemon.State.Journal.CountAsync(CancellationToken.None);
            var before = await daemon.CountEventsAsync("cluster.setting-changed.v1");
            await client.PostAsync("v1/config/set", new SetRequest("haven.heuristics.interval", $"{n % 50 + 1}s"));
            await daemon.WaitForAnotherEventAsync("cluster.setting-changed.v1", before);
            if (await daemon.State.Journal.CountAsync(CancellationToken.None) == journaled + 1) return n;
        }
        throw new InvalidOperationException("the journal kept growing through 20 barriers after one change");
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private static bool HasError(string text)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var e) && e.GetString() is { Length: > 0 };
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static (HttpMethod Method, string Path, byte[]? Body) Next(Random random)
    {
        var route = Routes[random.Next(Routes.Length)].Split(' ');
        var method = random.Next(10) switch
        {
            < 8 => new HttpMethod(route[0]),
            8 => random.Next(2) == 0 ? HttpMethod.Put : HttpMethod.Delete,
            _ => random.Next(3) switch { 0 => HttpMethod.Head, 1 => HttpMethod.Patch, _ => new HttpMethod("FROB") },
        };
        var path = route[1];
        if (random.Next(5) == 0) path = MutatePath(path, random);
        if (method == HttpMethod.Get && random.Next(4) == 0)
            path += "?" + (random.Next(3) switch { 0 => "after", 1 => "limit", _ => "key" }) + "=" + Uri.EscapeDataString(Junk[random.Next(Junk.Length)] + random.Next(-5, 5));
        if (method == HttpMethod.Get || method == HttpMethod.Head) return (method, path, null);
        byte[] body = random.Next(6) switch
        {
            0 => RandomBytes(random),
            1 => Encoding.UTF8.GetBytes("{\"key\": \"" + new string('k', random.Next(1, 70_000)) + "\", \"value\": \"v\"}"),
            _ => Encoding.UTF8.GetBytes(MutateText(Bodies[random.Next(Bodies.Length)], random)),
        };
        return (method, path, body);
    }

    private static string MutatePath(string path, Random random)
    {
        var segments = path.Split('/').ToList();
        var at = random.Next(segments.Count);
        switch (random.Next(4))
        {
            case 0: segments[at] = Uri.EscapeDataString(Junk[random.Next(Junk.Length)]); break;
            case 1: segments.Insert(at, Uri.EscapeDataString(new string('x', random.Next(1, 5000)))); break;
            case 2: segments.RemoveAt(at); break;
            default: segments[at] = Uri.EscapeDataString(segments[at] + Junk[random.Next(Junk.Length)]); break;
        }
        return string.Join('/', segments.Where(s => s.Length > 0).DefaultIfEmpty("v1"));
    }

    private static string MutateText(string text, Random random)
    {
        var sb = new StringBuilder(text);
        var edits = random.Next(0, 4);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(4))
            {
                case 0: sb.Remove(at, Math.Min(random.Next(1, 6), sb.Length - at)); break;
                case 1: sb.Insert(at, Junk[random.Next(Junk.Length)]); break;
                case 2: sb[at] = (char)random.Next(32, 127); break;
                default: sb.Length = at; break;
            }
        }
        return sb.ToString();
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 2048)];
        random.NextBytes(bytes);
        return bytes;
    }
}
