using System.Diagnostics;
using System.Security.Cryptography;

namespace Haven.Adapters.Tests.Conntrack;

/// <summary>
/// Two network namespaces of the test's own (<c>hvcX-a</c>, <c>hvcX-b</c>) joined by a veth pair (10.215.0.1 and
/// .2), each with an nft rule that makes the kernel track connections and a conntrackd (Debian's, in the
/// foreground so the test owns its process) syncing to the other over UDP (FTFW). Everything is stopped and
/// removed on dispose, and on a failed setup.
/// </summary>
internal sealed class ConntrackdPair : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly string tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly List<Process> processes = [];
    private readonly List<Process> helpers = [];
    private readonly List<string> namespaces = [];

    public ConntrackdPair()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("hvctp-").FullName;
    }

    public string Directory { get; }

    public string A => $"hvc{tag}-a";

    public string B => $"hvc{tag}-b";

    public const string AddressA = "10.215.0.1";

    public const string AddressB = "10.215.0.2";

    public string Config(string side) => Path.Combine(Directory, $"{side}.conf");

    public IReadOnlyList<string> Prefix(string ns) => ["ip", "netns", "exec", ns];

    public async Task StartAsync()
    {
        try
        {
            foreach (var ns in new[] { A, B })
            {
                Run("ip", "netns", "add", ns);
                namespaces.Add(ns);
                Run("ip", "-n", ns, "link", "set", "lo", "up");
            }

            Run("ip", "link", "add", $"hvc{tag}a", "type", "veth", "peer", "name", $"hvc{tag}b");
            Run("ip", "link", "set", $"hvc{tag}a", "netns", A);
            Run("ip", "link", "set", $"hvc{tag}b", "netns", B);
            Run("ip", "-n", A, "addr", "add", $"{AddressA}/24", "dev", $"hvc{tag}a");
            Run("ip", "-n", B, "addr", "add", $"{AddressB}/24", "dev", $"hvc{tag}b");
            Run("ip", "-n", A, "link", "set", $"hvc{tag}a", "up");
            Run("ip", "-n", B, "link", "set", $"hvc{tag}b", "up");
            foreach (var (ns, side, self, peer, link) in new[] { (A, "a", AddressA, AddressB, $"hvc{tag}a"), (B, "b", AddressB, AddressA, $"hvc{tag}b") })
            {
                var rules = Path.Combine(Directory, $"{side}.nft");
                File.WriteAllText(rules, """
                    table inet haventest {
                      chain pre { type filter hook prerouting priority 0; ct state new counter; }
                      chain out { type filter hook output priority 0; ct state new counter; }
                    }
                    """);
                Run("ip", "netns", "exec", ns, "nft", "-f", rules);
                WriteConfig(side, self, peer, link);
                await StartDaemonAsync(ns, side);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>A TCP connection inside namespace A to A's own address (so B's kernel never sees it); kept open until dispose.</summary>
    public async Task<int> OpenConnectionInAAsync()
    {
        const string Program = "import socket, sys, time\n"
            + "l = socket.socket(); l.bind((sys.argv[1], 0)); l.listen()\n"
            + "s = socket.create_connection(l.getsockname()); c, _ = l.accept()\n"
            + "print(l.getsockname()[1], flush=True); time.sleep(120)\n";
        var process = Start("ip", "netns", "exec", A, "/usr/bin/python3", "-c", Program, AddressA);
        processes.Remove(process);
        helpers.Add(process);
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(Bound)
            ?? throw new InvalidOperationException($"connection helper failed: {await process.StandardError.ReadToEndAsync()}");
        return int.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The kernel's connection table in the namespace.</summary>
    public string KernelTable(string ns) => Run("ip", "netns", "exec", ns, "cat", "/proc/net/nf_conntrack");

    public string Run(params string[] argv)
    {
        using var process = Process.Start(new ProcessStartInfo(argv[0], argv[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not start {argv[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Bound))
        {
            process.Kill();
            throw new TimeoutException($"{string.Join(' ', argv)} did not finish");
        }

        return process.ExitCode == 0
            ? stdout.Result
            : throw new InvalidOperationException($"{string.Join(' ', argv)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
    }

    public void Dispose()
    {
        foreach (var helper in helpers)
        {
            helper.Kill(entireProcessTree: true);
            helper.WaitForExit(TimeSpan.FromSeconds(5));
            helper.Dispose();
        }

        foreach (var (ns, side) in new[] { (A, "a"), (B, "b") })
        {
            if (namespaces.Contains(ns) && File.Exists(Config(side)))
            {
                try { Run("ip", "netns", "exec", ns, "conntrackd", "-C", Config(side), "-k"); } catch (InvalidOperationException) { }
            }
        }

        foreach (var process in processes)
        {
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(5));
            }

            process.Dispose();
        }

        foreach (var ns in namespaces)
        {
            try { Run("ip", "netns", "delete", ns); } catch (InvalidOperationException) { }
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private void WriteConfig(string side, string self, string peer, string link) =>
        File.WriteAllText(Config(side), $$"""
            Sync {
              Mode FTFW { }
              UDP {
                IPv4_address {{self}}
                IPv4_Destination_Address {{peer}}
                Port 3780
                Interface {{link}}
                Checksum on
              }
            }
            General {
              HashSize 32768
              HashLimit 131072
              LogFile {{Path.Combine(Directory, side + ".log")}}
              Syslog off
              LockFile {{Path.Combine(Directory, side + ".lock")}}
              UNIX { Path {{Path.Combine(Directory, side + ".sock")}} }
              NetlinkBufferSize 2097152
              NetlinkBufferSizeMaxGrowth 8388608
              Filter From Kernelspace {
                Address Ignore { IPv4_address 127.0.0.1 }
              }
            }
            """);

    private async Task StartDaemonAsync(string ns, string side)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(Directory, side + ".sock") { EnableRaisingEvents = true };
        watcher.Created += (_, _) => ready.TrySetResult();
        var daemon = Start("ip", "netns", "exec", ns, "conntrackd", "-C", Config(side));
        daemon.EnableRaisingEvents = true;
        daemon.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"conntrackd in {ns} exited: {File.ReadAllText(Path.Combine(Directory, side + ".log"))}"));
        if (File.Exists(Path.Combine(Directory, side + ".sock")))
        {
            ready.TrySetResult();
        }

        await ready.Task.WaitAsync(Bound);
    }

    private Process Start(params string[] argv)
    {
        var process = Process.Start(new ProcessStartInfo(argv[0], argv[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not start {argv[0]}");
        processes.Add(process);
        return process;
    }
}
