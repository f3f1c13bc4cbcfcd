using Haven.Actors.Placement;
using Haven.Actors.Vms;
using Haven.Host.Cli;
using Haven.Host.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Host.Tests;

/// <summary>haven.vms' policy, placement and capacities reach the VM services a daemon runs with.</summary>
public class VmSettingsDaemonTests
{
    private static string Config(TempDir dir, string vms = "") => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          logging { console = off, file.path = "{{dir.File("haven.log")}}" }
          vms.hypervisors.process.state-dir = "{{dir.File("vms")}}"
        {{vms}}
        }
        """);

    /// <summary>Starts the daemon and waits until it is primary for the <paramref name="run"/>-th time (its journal survives restarts).</summary>
    private static async Task<RunningDaemon> StartAsync(string config, int run = 1)
    {
        var daemon = await RunningDaemon.StartAsync(config);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var journal = daemon.State.Journal;
        while (true)
        {
            var next = journal.NextWrite; // taken before reading, so no write slips between
            var formed = 0;
            await foreach (var e in journal.ReadAllAsync(0, cancellationToken: timeout.Token))
                if (e.Manifest == "cluster.primary-formed.v1") formed++;
            if (formed >= run) return daemon;
            await next.WaitAsync(timeout.Token);
        }
    }

    [Fact]
    public void VmWiring_ConfiguredVmSettings_ReachVmServices()
    {
        using var dir = new TempDir();
        var path = Config(dir, """
              vms {
                monitor-interval = 4s, start-timeout = 90s, max-restarts = 1, restart-window = 2h, io-pause-grace = 0s
                placement { strategy = utilization, stickiness = 50, batch-limit = 3, migration-limit = 1 }
                capacities { solo { cpu = 12, memory = 48GiB } }
              }
            """);
        var settings = DaemonVerb.LoadSettings(path, new CliContext(new StringWriter(), new StringWriter()));

        var (services, owner) = VmWiring.Create(settings, path, NullLoggerFactory.Instance);
        using var _ = owner;

        Assert.Equal(new VmPolicy
        {
            MonitorInterval = TimeSpan.FromSeconds(4),
            StartTimeout = TimeSpan.FromSeconds(90),
            MaxRestarts = 1,
            RestartWindow = TimeSpan.FromHours(2),
            IoPauseGrace = TimeSpan.Zero,
        }, services.Policy);
        Assert.Equal(new PlacementOptions(PlacementStrategy.Utilization, 50, 3, 1), services.Placement);
        Assert.Equal(new Capacity(12, 48 * 1024), Assert.Single(services.Capacities, c => c.Key == "solo").Value);
    }

    [Fact]
    public void VmWiring_NothingConfigured_RunsWithTheDefaults()
    {
        using var dir = new TempDir();
        var path = Config(dir);
        var settings = DaemonVerb.LoadSettings(path, new CliContext(new StringWriter(), new StringWriter()));

        var (services, owner) = VmWiring.Create(settings, path, NullLoggerFactory.Instance);
        using var _ = owner;

        Assert.Equal(new VmPolicy(), services.Policy);
        Assert.Equal(PlacementOptions.Default, services.Placement);
        Assert.Empty(services.Capacities);
    }

    [Fact]
    public async Task Daemon_ConfiguredCapacityAndStrategy_DecideWhereAVmFits()
    {
        using var dir = new TempDir();
        await using var daemon = await StartAsync(Config(dir, """
              vms.placement.strategy = balanced
              vms.capacities.solo { cpu = 2, memory = 1GiB }
            """));
        var socket = dir.File("haven.sock");

        // needs more cpu than solo has: the DC never places it, so nothing is started
        var (addCode, _, addErr) = await CliRunner.RunAsync("vm", "add", "big-01", "--hypervisor", "process", "--config", "sleep 1000",
            "--cpu", "4", "--memory", "256", "--socket", socket);
        Assert.True(addCode == 0, addErr);

        var (code, explain, err) = await CliRunner.RunAsync("vm", "explain", "BIG-01", "--socket", socket);
        Assert.True(code == 0, err);
        Assert.Contains("placement-strategy balanced", explain);
        Assert.Contains("solo: score 0, no room, free cpu 2 memory 1024, 0 VMs", explain);
        Assert.Contains("BIG-01: cannot place", explain);
    }

    [Fact]
    public async Task Daemon_ClusterWideVmSettings_BadCapacityRefusedAndStrategyAppliedAtNextStart()
    {
        using var dir = new TempDir();
        var config = Config(dir);
        var socket = dir.File("haven.sock");
        await using (var first = await StartAsync(config))
        {
            var (badCode, _, badErr) = await CliRunner.RunAsync("config", "set", "haven.vms.capacities", "{ solo { cpu = -1 } }", "--socket", socket);
            Assert.Equal(1, badCode);
            Assert.Contains("haven.vms.capacities.solo.cpu", badErr);
            Assert.Contains("-1 cores is out of range (1..4096)", badErr);

            var (code, _, err) = await CliRunner.RunAsync("config", "set", "haven.vms.placement.strategy", "minimal", "--socket", socket);
            Assert.True(code == 0, err);
            var (capCode, _, capErr) = await CliRunner.RunAsync("config", "set", "haven.vms.capacities", "{ solo { memory = 512MiB } }", "--socket", socket);
            Assert.True(capCode == 0, capErr);
            Assert.Equal(0, await first.StopAsync());
        }

        await using var second = await StartAsync(config, run: 2);
        var (addCode, _, addErr) = await CliRunner.RunAsync("vm", "add", "big-01", "--hypervisor", "process", "--config", "sleep 1000",
            "--memory", "1024", "--socket", socket);
        Assert.True(addCode == 0, addErr);
        var (_, explain, _) = await CliRunner.RunAsync("vm", "explain", "BIG-01", "--socket", socket);
        Assert.Contains("placement-strategy minimal", explain);
        Assert.Contains("solo: score 0, no room, free cpu unlimited memory 512, 0 VMs", explain);
    }
}
