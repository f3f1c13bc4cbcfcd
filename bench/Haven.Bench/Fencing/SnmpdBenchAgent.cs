using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Haven.Adapters.Fencing.Snmp;

namespace Haven.Bench.Fencing;

/// <summary>
/// Debian's snmpd on a free loopback port with a pass_persist script that keeps an IBM AMM blade table
/// in memory (power state changes on SET, off/on take effect at once). Killed and removed on Dispose.
/// </summary>
internal sealed class SnmpdBenchAgent : IDisposable
{
    public const string Community = "bench-rw";

    private const string Script = """
        import sys
        BASE = ".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1"
        power = {i: 1 for i in range(1, 5)}
        def rows():
            r = {".1.3.6.1.2.1.1.1.0": ("string", "BladeCenter Advanced Management Module")}
            for i in power:
                r[f"{BASE}.4.{i}"] = ("integer", str(power[i]))
                r[f"{BASE}.6.{i}"] = ("string", f"node0{i}")
                r[f"{BASE}.7.{i}"] = ("integer", str(power[i]))
            return r
        def key(o): return tuple(int(x) for x in o.strip(".").split("."))
        def out(*l):
            sys.stdout.write("\n".join(l) + "\n"); sys.stdout.flush()
        while True:
            line = sys.stdin.readline()
            if not line: break
            cmd = line.strip()
            if not cmd: continue
            if cmd == "PING": out("PONG"); continue
            oid = sys.stdin.readline().strip()
            r = rows()
            if cmd == "get":
                out(oid, *r[oid]) if oid in r else out("NONE")
            elif cmd == "getnext":
                later = sorted((key(o), o) for o in r if key(o) > key(oid))
                out(later[0][1], *r[later[0][1]]) if later else out("NONE")
            elif cmd == "set":
                value = sys.stdin.readline().strip().split()
                i = int(oid.rsplit(".", 1)[1])
                if oid.startswith(BASE + ".7.") and i in power:
                    power[i] = 0 if int(value[1]) in (0, 2) else 1
                    out("DONE")
                else:
                    out("not-writable")
        """;

    private readonly string directory;
    private readonly Process process;

    public SnmpdBenchAgent()
    {
        var snmpd = File.Exists("/usr/sbin/snmpd") ? "/usr/sbin/snmpd"
            : throw new InvalidOperationException("snmpd is not installed (apt-get install snmpd)");
        directory = Directory.CreateTempSubdirectory("haven-bench-snmpd-").FullName;
        var script = Path.Combine(directory, "amm.py");
        File.WriteAllText(script, Script);
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var conf = Path.Combine(directory, "snmpd.conf");
        File.WriteAllText(conf, $"""
            agentAddress udp:127.0.0.1:{Port}
            rwcommunity {Community} 127.0.0.1
            pass_persist .1.3.6.1.2.1.1 /usr/bin/python3 -u {script}
            pass_persist .1.3.6.1.4.1.2.3.51.2.22.1.6 /usr/bin/python3 -u {script}

            """);
        var start = new ProcessStartInfo(snmpd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-f", "-Lo", "-C", "-I", "-system_mib", "-c", conf, "-p", Path.Combine(directory, "pid") })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MIBS"] = "";
        start.Environment["SNMP_PERSISTENT_DIR"] = Path.Combine(directory, "persist");
        process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = Client(new SnmpClientOptions { Timeout = TimeSpan.FromMilliseconds(250), Retries = 40 });
        client.GetAsync(IbmChassisDevice.SysDescr, CancellationToken.None).GetAwaiter().GetResult();
    }

    public int Port { get; }

    public SnmpClient Client(SnmpClientOptions? options = null) =>
        new(new IPEndPoint(IPAddress.Loopback, Port), SnmpVersion.V2c, Community, options ?? new SnmpClientOptions { Timeout = TimeSpan.FromSeconds(1), Retries = 1 });

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }

        process.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
