using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Haven.Adapters.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>
/// Debian's real snmpd on a free loopback port, serving an emulated IBM AMM/CMM blade table through a
/// pass_persist script (<see cref="AmmEmulatorScript"/>). One per test class (xunit class fixture);
/// each test sets the state it needs with <see cref="Reset"/>. Killed and its files removed on
/// Dispose, whatever happened. Without snmpd the fixture fails with a message naming the package.
/// </summary>
public sealed class SnmpdEmulator : IDisposable
{
    public const string ReadWriteCommunity = "s3cret-rw";
    public const string ReadOnlyCommunity = "public-ro";

    /// <summary>SNMPv3 user with SHA authentication and AES privacy, read-write at authPriv.</summary>
    public const string PrivUser = "haven";
    public const string PrivUserAuthPassword = "authpass123";
    public const string PrivUserPrivPassword = "privpass123";

    /// <summary>SNMPv3 user with SHA authentication only, read-write at authNoPriv.</summary>
    public const string AuthUser = "haven-auth";
    public const string AuthUserPassword = "authonly123";

    /// <summary>SNMPv3 user with MD5 authentication only.</summary>
    public const string Md5User = "haven-md5";
    public const string Md5UserPassword = "md5pass1234";

    private static readonly string[] SnmpdPaths = ["/usr/sbin/snmpd", "/usr/bin/snmpd"];
    private const string PythonPath = "/usr/bin/python3";

    private readonly string directory;
    private readonly string statePath;
    private readonly Process process;
    private readonly StringWriterSink log = new();

    public SnmpdEmulator()
    {
        var snmpd = SnmpdPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("snmpd is not installed: the SNMP fencing tests need Debian's package snmpd (apt-get install snmpd)");
        if (!File.Exists(PythonPath))
        {
            throw new InvalidOperationException("python3 is not installed: the AMM emulator script needs Debian's package python3");
        }

        directory = Directory.CreateTempSubdirectory("haven-snmpd-").FullName;
        try
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            statePath = Path.Combine(directory, "state.json");
            var script = Path.Combine(directory, "amm.py");
            File.WriteAllText(script, AmmEmulatorScript.Python);
            Reset(AmmState.Default());
            Port = FreeUdpPort();
            var conf = Path.Combine(directory, "snmpd.conf");
            File.WriteAllText(conf, $"""
                agentAddress udp:127.0.0.1:{Port}
                rwcommunity {ReadWriteCommunity} 127.0.0.1
                rocommunity {ReadOnlyCommunity} 127.0.0.1
                createUser {PrivUser} SHA "{PrivUserAuthPassword}" AES "{PrivUserPrivPassword}"
                createUser {AuthUser} SHA "{AuthUserPassword}"
                createUser {Md5User} MD5 "{Md5UserPassword}"
                rwuser {PrivUser} priv
                rwuser {AuthUser} auth
                rwuser {Md5User} auth
                pass_persist .1.3.6.1.2.1.1 {PythonPath} -u {script} {statePath}
                pass_persist .1.3.6.1.4.1.2.3.51.2.22.1.6 {PythonPath} -u {script} {statePath}

                """);
            var start = new ProcessStartInfo(snmpd)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "-f", "-Lo", "-C", "-I", "-system_mib", "-c", conf, "-p", Path.Combine(directory, "snmpd.pid") })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["MIBS"] = "";
            start.Environment["SNMP_PERSISTENT_DIR"] = Path.Combine(directory, "persist");
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => OnLine(e.Data, ready);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data, ready);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var exited = process.WaitForExitAsync();
            var first = Task.WhenAny(ready.Task, exited).WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
            if (first != ready.Task)
            {
                throw new InvalidOperationException($"snmpd did not start on 127.0.0.1:{Port}:\n{log}");
            }

            WaitUntilAnswering();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Port { get; }

    public IPEndPoint Endpoint => new(IPAddress.Loopback, Port);

    public string Log => log.ToString();

    /// <summary>
    /// For requests snmpd answers: a timeout no loaded machine reaches, so a request is never sent twice
    /// (snmpd carries out a repeated SET again, and the tests count SETs). Tests that expect no answer
    /// pass their own short options.
    /// </summary>
    public static SnmpClientOptions Answered => new() { Timeout = TimeSpan.FromSeconds(5), Retries = 1 };

    public SnmpClient Client(SnmpVersion version = SnmpVersion.V2c, string community = ReadWriteCommunity, SnmpClientOptions? options = null) =>
        new(Endpoint, version, community, options ?? Answered);

    /// <summary>An SNMPv3 client for <paramref name="credentials"/> (default: the authPriv user).</summary>
    public SnmpClient V3Client(SnmpUsmCredentials? credentials = null, SnmpClientOptions? options = null) =>
        new(Endpoint, credentials ?? PrivCredentials, options ?? Answered);

    public static SnmpUsmCredentials PrivCredentials => new(PrivUser, PrivUserAuthPassword, UsmAuthProtocol.Sha1, PrivUserPrivPassword, UsmPrivProtocol.Aes128);

    public static SnmpUsmCredentials AuthCredentials => new(AuthUser, AuthUserPassword, UsmAuthProtocol.Sha1, null, UsmPrivProtocol.None);

    public static SnmpUsmCredentials Md5Credentials => new(Md5User, Md5UserPassword, UsmAuthProtocol.Md5, null, UsmPrivProtocol.None);

    /// <summary>Replaces the emulator's whole state (blades, signature, mode).</summary>
    public void Reset(AmmState state)
    {
        var tmp = statePath + ".test";
        File.WriteAllText(tmp, state.ToJson());
        File.Move(tmp, statePath, overwrite: true);
    }

    public JsonObject ReadState() => JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();

    public int Power(int slot) => ReadState()["blades"]![slot - 1]!["power"]!.GetValue<int>();

    /// <summary>Every SET of the control column so far as (slot, value).</summary>
    public IReadOnlyList<(int Slot, int Value)> Sets() =>
        ReadState()["sets"] is JsonArray sets ? [.. sets.Select(s => (s![0]!.GetValue<int>(), s[1]!.GetValue<int>()))] : [];

    public void Dispose()
    {
        try
        {
            if (process is { } p)
            {
                try
                {
                    if (!p.HasExited)
                    {
                        p.Kill(entireProcessTree: true);
                        p.WaitForExit(10_000);
                    }
                }
                catch (InvalidOperationException)
                {
                    // never started
                }

                p.Dispose();
            }
        }
        finally
        {
            if (directory is not null && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private void OnLine(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        log.Add(line);
        if (line.StartsWith("NET-SNMP version", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    /// <summary>snmpd announces itself before pass_persist children answer; one GET with retries proves the path works.</summary>
    private void WaitUntilAnswering()
    {
        using var client = Client(options: new SnmpClientOptions { Timeout = TimeSpan.FromMilliseconds(250), Retries = 40 });
        client.GetAsync(IbmChassisDevice.SysDescr, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
    }

    /// <summary>Below the ephemeral range: no test's SNMP client socket can take it before snmpd binds it.</summary>
    private static int FreeUdpPort() => Haven.TestKit.LoopbackPorts.Free(ProtocolType.Udp);

    private sealed class StringWriterSink
    {
        private readonly Lock gate = new();
        private readonly List<string> lines = [];

        public void Add(string line)
        {
            lock (gate)
            {
                lines.Add(line);
            }
        }

        public override string ToString()
        {
            lock (gate)
            {
                return string.Join('\n', lines);
            }
        }
    }
}

/// <summary>The emulator's state file: signature, blades, and how the SET handler behaves.</summary>
public sealed record AmmState
{
    public string SysDescr { get; init; } = "BladeCenter Advanced Management Module";
    public IReadOnlyList<(string Name, int Power)> Blades { get; init; } = [];

    /// <summary>normal, refuse, hang or lie.</summary>
    public string Mode { get; init; } = "normal";

    /// <summary>False: soft-off is accepted but the blade stays on (an OS that ignores the shutdown).</summary>
    public bool SoftOffWorks { get; init; } = true;

    /// <summary>After an off, the state reads the old value this many times before it reads off.</summary>
    public int OffDelayReads { get; init; }

    public int HangSeconds { get; init; } = 30;

    /// <summary>argv of a command that really switches a blade (run with SLOT off|on); the state changes once it exits 0.</summary>
    public IReadOnlyList<string>? PowerHook { get; init; }

    public static AmmState Default() => new() { Blades = [("node01", 1), ("node02", 1), ("node03 (spare)", 0)] };

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["sysdescr"] = SysDescr,
        ["blades"] = Blades.Select(b => new Dictionary<string, object> { ["name"] = b.Name, ["power"] = b.Power }).ToList(),
        ["mode"] = Mode,
        ["softoff_works"] = SoftOffWorks,
        ["off_delay_reads"] = OffDelayReads,
        ["hang_seconds"] = HangSeconds,
        ["power_hook"] = PowerHook ?? [],
        ["sets"] = new List<int[]>(),
    });
}
