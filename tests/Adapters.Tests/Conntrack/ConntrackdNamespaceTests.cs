using System.Diagnostics;
using System.Security.Cryptography;
using Haven.Actors.Cluster;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Actors.Membership;
using Haven.Adapters.Conntrack;
using Haven.Adapters.Tests.Heuristics;

namespace Haven.Adapters.Tests.Conntrack;

/// <summary>
/// Debian's conntrackd (1.4.7) in a network namespace this test creates and always removes: the policy's plans
/// run against the real daemon through <c>ip netns exec</c>.
/// </summary>
public sealed class ConntrackdNamespaceTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly string directory = Directory.CreateTempSubdirectory("hvctd-").FullName;
    private readonly string ns = $"hvct-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
    private readonly RecordingLogger<ConntrackdController> log = new();
    private Process? daemon;

    private string Config => Path.Combine(directory, "conntrackd.conf");

    private string Socket => Path.Combine(directory, "ctl.sock");

    public void Dispose()
    {
        try
        {
            if (daemon is { HasExited: false })
            {
                Run("ip", "netns", "exec", ns, "conntrackd", "-C", Config, "-k");
                if (!daemon.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    daemon.Kill();
                    daemon.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }

            daemon?.Dispose();
        }
        finally
        {
            Run("ip", "netns", "delete", ns);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task PolicyPlans_RealConntrackdInANamespace_PromoteMonitorDemoteAndFailWhenStopped()
    {
        await StartDaemonAsync();
        var controller = new ConntrackdController(
            new ConntrackSettings { Binary = "/usr/sbin/conntrackd", ConfigFile = Config, StateFile = Path.Combine(directory, "state"), Group = ["192.0.2.10"] },
            log,
            TimeProvider.System,
            ["ip", "netns", "exec", ns]);
        var self = new NodeId(1);
        var policy = new ConntrackPolicy(["192.0.2.10"], self);
        var up = ClusterState.Empty.ApplyAll([new NodeJoined(self, "n1"), new NodeUp(self)]);
        var held = up.Apply(new IpTaken("eth0", "192.0.2.10", 24, self));

        var promote = policy.Decide(controller.RecordedRole, up, held);
        await controller.ExecuteAsync(promote, CancellationToken.None).WaitAsync(Bound);
        var statistics = await controller.RunAsync(ConntrackCommand.Statistics, CancellationToken.None).WaitAsync(Bound);
        var demote = policy.Decide(controller.RecordedRole, held, held.Apply(new IpReleased("eth0", "192.0.2.10", 24, self)));
        await controller.ExecuteAsync(demote, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(ConntrackTransition.Promote, promote.Transition);
        Assert.Equal(ConntrackTransition.Demote, demote.Transition);
        Assert.Contains("cache", statistics, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ConntrackRole.Backup, controller.RecordedRole);
        var daemonLog = File.ReadAllText(Path.Combine(directory, "log"));
        Assert.Contains("sending bulk update", daemonLog, StringComparison.Ordinal);
        Assert.Contains("resync requested", daemonLog, StringComparison.Ordinal);

        Run("ip", "netns", "exec", ns, "conntrackd", "-C", Config, "-k");
        Assert.True(daemon!.WaitForExit(TimeSpan.FromSeconds(10)), "conntrackd did not stop on -k");
        var e = await Assert.ThrowsAsync<ConntrackdCommandException>(() => controller.RunAsync(ConntrackCommand.Statistics, CancellationToken.None).WaitAsync(Bound));
        Assert.Contains("can't connect", e.Message, StringComparison.Ordinal);
    }

    private async Task StartDaemonAsync()
    {
        // HashSize 32768: with 8192 or less, a -f right after -c is ignored ("commit still in progress").
        File.WriteAllText(Config, $$"""
            Sync {
              Mode FTFW { }
              UDP {
                IPv4_address 127.0.0.1
                IPv4_Destination_Address 127.0.0.1
                Port 3781
                Interface lo
                Checksum on
              }
            }
            General {
              HashSize 32768
              HashLimit 131072
              LogFile {{Path.Combine(directory, "log")}}
              Syslog off
              LockFile {{Path.Combine(directory, "lock")}}
              UNIX { Path {{Socket}} }
              NetlinkBufferSize 2097152
              NetlinkBufferSizeMaxGrowth 8388608
            }
            """);
        RunChecked("ip", "netns", "add", ns);
        RunChecked("ip", "-n", ns, "link", "set", "lo", "up");

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(directory, "ctl.sock") { EnableRaisingEvents = true };
        watcher.Created += (_, _) => ready.TrySetResult();
        daemon = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, "conntrackd", "-C", Config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start conntrackd");
        daemon.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"conntrackd exited with {daemon.ExitCode}"));
        daemon.EnableRaisingEvents = true;
        if (File.Exists(Socket))
        {
            ready.TrySetResult();
        }

        await ready.Task.WaitAsync(Bound);
    }

    private static void RunChecked(params string[] argv)
    {
        var (code, output) = Run(argv);
        if (code != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', argv)} failed ({code}): {output}");
        }
    }

    private static (int Code, string Output) Run(params string[] argv)
    {
        using var process = Process.Start(new ProcessStartInfo(argv[0], argv[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not start {argv[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
