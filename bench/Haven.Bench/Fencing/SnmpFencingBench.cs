using System.Diagnostics;
using Haven.Actors.Fencing;
using Haven.Adapters.Fencing.Snmp;

namespace Haven.Bench.Fencing;

/// <summary>SNMP GET round trips and full off-and-verify fences against snmpd emulating an IBM AMM.</summary>
public sealed class SnmpFencingBench : IBench
{
    public string Name => "snmp-fencing";

    public string Description => "SNMP codec, GET round trip and AMM off-and-verify against snmpd + pass_persist (goal: GET < 5 ms, off-and-verify < 100 ms without soft-off wait)";

    public async Task RunAsync(TextWriter output)
    {
        Codec(output);
        using var agent = new SnmpdBenchAgent();
        using (var client = agent.Client())
        {
            await Measure(output, "GET sysDescr (snmpd + pass_persist)", 2000, 100, () => client.GetAsync(IbmChassisDevice.SysDescr, CancellationToken.None));
            await Measure(output, "GET blade power state", 2000, 100, () => client.GetAsync(IbmChassisDevice.BladePowerState.Append(1), CancellationToken.None));
            await Measure(output, "walk blade names (4 blades, 5 GETNEXT)", 300, 20, () => client.WalkAsync(IbmChassisDevice.BladeNames, CancellationToken.None));
        }

        foreach (var noSoftOff in new[] { true, false })
        {
            using var client = agent.Client();
            var device = new IbmChassisDevice("amm1", client, new IbmChassisOptions { NoSoftOff = noSoftOff, PollInterval = TimeSpan.FromMilliseconds(10) });
            var times = new List<double>();
            for (var i = 0; i < 120; i++)
            {
                await device.ExecuteAsync("node02", FenceAction.On, CancellationToken.None);
                var sw = Stopwatch.StartNew();
                var outcome = await device.ExecuteAsync("node02", FenceAction.Off, CancellationToken.None);
                sw.Stop();
                if (!outcome.Success)
                {
                    throw new InvalidOperationException($"fence failed: {outcome.Detail}");
                }

                if (i >= 20)
                {
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
            }

            Report(output, $"off-and-verify {(noSoftOff ? "(no-softoff: sig, walk, get, set off, get)" : "(soft-off: sig, walk, get, set soft-off, get)")}", times, "ms", 100);
        }
    }

    private static void Codec(TextWriter output)
    {
        var message = new SnmpMessage(SnmpVersion.V2c, "bench", new SnmpPdu(SnmpPduType.Response, 12345, 0, 0,
            [new VarBind(IbmChassisDevice.BladeNames.Append(3), new SnmpOctetString("node03")), new VarBind(IbmChassisDevice.BladePowerState.Append(3), new SnmpInteger(1))]));
        var bytes = SnmpCodec.Encode(message);
        const int n = 200_000;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            SnmpCodec.Encode(message);
        }

        var encode = sw.Elapsed.TotalMilliseconds * 1000 / n;
        sw.Restart();
        for (var i = 0; i < n; i++)
        {
            SnmpCodec.Decode(bytes);
        }

        var decode = sw.Elapsed.TotalMilliseconds * 1000 / n;
        output.WriteLine($"codec ({bytes.Length}-byte response, 2 bindings): encode {encode:F2} us, decode {decode:F2} us");
    }

    private static async Task Measure<T>(TextWriter output, string what, int count, int warmup, Func<Task<T>> call)
    {
        var times = new List<double>(count);
        for (var i = 0; i < count + warmup; i++)
        {
            var sw = Stopwatch.StartNew();
            await call();
            sw.Stop();
            if (i >= warmup)
            {
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        Report(output, what, times, "ms", 5);
    }

    private static void Report(TextWriter output, string what, List<double> times, string unit, double goal)
    {
        times.Sort();
        var p50 = times[times.Count / 2];
        var p99 = times[(int)(times.Count * 0.99)];
        output.WriteLine($"{what}: n={times.Count} mean {times.Average():F3} {unit}, p50 {p50:F3} {unit}, p99 {p99:F3} {unit}, max {times[^1]:F3} {unit}{(p50 < goal ? "  (goal met)" : "  (below goal)")}");
    }
}
