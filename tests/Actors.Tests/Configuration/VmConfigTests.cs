using Haven.Actors.Configuration;
using Haven.Actors.Placement;
using Haven.Actors.Vms;

namespace Haven.Actors.Tests.Configuration;

public sealed class VmConfigTests
{
    private const string TwoNodes = "haven.cluster.nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }]\n";

    private static Config Parse(string text) => HoconParser.Parse(text, "haven.conf");

    private static IReadOnlyList<ConfigProblem> Validate(string text) =>
        HavenConfig.Validate(HoconParser.Parse(text, "haven.conf", new HoconParseOptions { Fallback = HavenConfig.Reference }), "n1");

    [Fact]
    public void Read_Reference_GivesTheDefaultsOfVmPolicyAndPlacementOptions()
    {
        var settings = VmConfig.Read(HavenConfig.Reference);
        Assert.Equal(new VmPolicy(), settings.Policy);
        Assert.Equal(PlacementOptions.Default, settings.Placement);
        Assert.Empty(settings.Capacities);
        Assert.Equal(new VmPolicy(), HavenSettings.From(Config.Empty).Vms.Policy);
    }

    [Fact]
    public void Read_EverySetting_ReachesTheTypedSettings()
    {
        var settings = HavenSettings.From(Parse("""
            haven.vms {
              monitor-interval = 7s, poll-interval = 250ms, start-timeout = 3m, stop-timeout = 45s
              migrate-timeout = 10m, call-timeout = 12s, max-restarts = 5, restart-window = 1h
              io-pause-grace = 0s, sync-interval = 3s, migration-threshold = 3, failure-timeout = 15m
              shutdown-lock = on, shutdown-lock-limit = 2h
              placement { strategy = balanced, stickiness = 100, batch-limit = 4, migration-limit = 2 }
              capacities {
                n1 { cpu = 16, memory = 64GiB }
                "n2.example" { memory = 512MiB }
                n3 { cpu = 8 }
              }
            }
            """)).Vms;
        Assert.Equal(new VmPolicy
        {
            MonitorInterval = TimeSpan.FromSeconds(7),
            PollInterval = TimeSpan.FromMilliseconds(250),
            StartTimeout = TimeSpan.FromMinutes(3),
            StopTimeout = TimeSpan.FromSeconds(45),
            MigrateTimeout = TimeSpan.FromMinutes(10),
            CallTimeout = TimeSpan.FromSeconds(12),
            MaxRestarts = 5,
            RestartWindow = TimeSpan.FromHours(1),
            IoPauseGrace = TimeSpan.Zero,
            SyncInterval = TimeSpan.FromSeconds(3),
            MigrationThreshold = 3,
            FailureTimeout = TimeSpan.FromMinutes(15),
            ShutdownLock = true,
            ShutdownLockLimit = TimeSpan.FromHours(2),
        }, settings.Policy);
        Assert.Equal(new PlacementOptions(PlacementStrategy.Balanced, 100, 4, 2), settings.Placement);
        Assert.Equal(new Capacity(16, 64 * 1024), settings.Capacities["n1"]);
        Assert.Equal(new Capacity(long.MaxValue, 512), settings.Capacities["n2.example"]);
        Assert.Equal(new Capacity(8, long.MaxValue), settings.Capacities["n3"]);
    }

    [Theory]
    [InlineData("default", PlacementStrategy.Default)]
    [InlineData("utilization", PlacementStrategy.Utilization)]
    [InlineData("balanced", PlacementStrategy.Balanced)]
    [InlineData("minimal", PlacementStrategy.Minimal)]
    public void Read_Strategy_MapsEachWord(string word, PlacementStrategy expected) =>
        Assert.Equal(expected, VmConfig.Read(Parse($"haven.vms.placement.strategy = {word}")).Placement.Strategy);

    [Fact]
    public void Read_MemoryInDecimalUnits_IsRoundedDownToWholeMiB()
    {
        // 64 GB = 64e9 bytes = 61035.15625 MiB
        Assert.Equal(61035, VmConfig.Read(Parse("haven.vms.capacities.n1.memory = 64GB")).Capacities["n1"].Memory);
    }

    [Fact]
    public void Read_Defaults_ShutdownLockOffWithoutLimit()
    {
        var policy = VmConfig.Read(Parse("")).Policy;
        Assert.False(policy.ShutdownLock);
        Assert.Equal(TimeSpan.Zero, policy.ShutdownLockLimit);
    }

    [Fact]
    public void Read_NegativeMigrationLimit_IsUnlimited() =>
        Assert.Equal(-1, VmConfig.Read(Parse("haven.vms.placement.migration-limit = -5")).Placement.MigrationLimit);

    [Theory]
    [InlineData("haven.vms.monitor-interval = 0s", "haven.vms.monitor-interval", "must be greater than zero")]
    [InlineData("haven.vms.start-timeout = -5s", "haven.vms.start-timeout", "-5s is out of range (0s..24d)")]
    [InlineData("haven.vms.call-timeout = 2d", "haven.vms.call-timeout", "too long (at most 24h)")]
    [InlineData("haven.vms.restart-window = 60d", "haven.vms.restart-window", "60d is out of range (0s..30d)")]
    [InlineData("haven.vms.io-pause-grace = -1s", "haven.vms.io-pause-grace", "-1s is out of range (0s..24d)")]
    [InlineData("haven.vms.max-restarts = -1", "haven.vms.max-restarts", "out of range (at least 0)")]
    [InlineData("haven.vms.migration-threshold = -1", "haven.vms.migration-threshold", "out of range (at least 0)")]
    [InlineData("haven.vms.shutdown-lock-limit = -1m", "haven.vms.shutdown-lock-limit", "out of range")]
    [InlineData("haven.vms.shutdown-lock-limit = 31d", "haven.vms.shutdown-lock-limit", "out of range")]
    [InlineData("haven.vms.shutdown-lock = maybe", "haven.vms.shutdown-lock", "a boolean")]
    [InlineData("haven.vms.max-restarts = 1000", "haven.vms.max-restarts", "out of range (at most 100)")]
    [InlineData("haven.vms.placement.stickiness = -10", "haven.vms.placement.stickiness", "out of range (at least 0)")]
    [InlineData("haven.vms.placement.batch-limit = -1", "haven.vms.placement.batch-limit", "out of range (at least 0)")]
    [InlineData("haven.vms.placement.migration-limit = 0", "haven.vms.placement.migration-limit", "0 is ambiguous")]
    [InlineData("haven.vms.placement.strategy = packed", "haven.vms.placement.strategy", "packed")]
    public void Validate_BadPolicyOrPlacement_NamesTheKeyAndLine(string line, string path, string message)
    {
        var problem = Assert.Single(Validate("\n" + line + "\n"));
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message);
        Assert.StartsWith("haven.conf:2:", problem.Origin);
    }

    [Theory]
    [InlineData("n1 { cpu = -4, memory = 8GiB }", "haven.vms.capacities.n1.cpu", "-4 cores is out of range (1..4096)")]
    [InlineData("n1 { cpu = 0 }", "haven.vms.capacities.n1.cpu", "0 cores is out of range")]
    [InlineData("n1 { cpu = 100000 }", "haven.vms.capacities.n1.cpu", "out of range (1..4096)")]
    [InlineData("n1 { cpu = 1.5 }", "haven.vms.capacities.n1.cpu", "expected a whole number of cores")]
    [InlineData("n1 { memory = -8GiB }", "haven.vms.capacities.n1.memory", "-8GiB must not be negative")]
    [InlineData("n1 { memory = 65536 }", "haven.vms.capacities.n1.memory", "a number without a unit is bytes")]
    [InlineData("n1 { memory = 100TiB }", "haven.vms.capacities.n1.memory", "out of range (1MiB..64TiB)")]
    [InlineData("n1 { memory = lots }", "haven.vms.capacities.n1.memory", "expected a size")]
    [InlineData("n1 { cpus = 4 }", "haven.vms.capacities.n1.cpus", "did you mean cpu?")]
    [InlineData("n1 {}", "haven.vms.capacities.n1", "sets neither cpu nor memory")]
    [InlineData("n1 = 16", "haven.vms.capacities.n1", "expected { cpu = CORES, memory = SIZE }")]
    [InlineData("n9 { cpu = 4 }", "haven.vms.capacities.n9", "node n9 is not in haven.cluster.nodes (n1, n2)")]
    public void Validate_BadCapacity_NamesTheNodeFieldAndLine(string entry, string path, string message)
    {
        var problem = Assert.Single(Validate(TwoNodes + "haven.vms.capacities {\n  " + entry + "\n}\n"));
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message);
        Assert.StartsWith("haven.conf:3:", problem.Origin);
    }

    [Fact]
    public void Validate_UnlistedNodeWithABadValue_ReportsBoth()
    {
        var problems = Validate(TwoNodes + "haven.vms.capacities {\n  n9 { cpu = -1 }\n}\n");
        Assert.Equal(["haven.vms.capacities.n9.cpu", "haven.vms.capacities.n9"], problems.Select(p => p.Path));
        Assert.All(problems, p => Assert.StartsWith("haven.conf:3:", p.Origin));
    }

    [Fact]
    public void Validate_CapacityOfAnyNode_IsFineWithoutANodeList() =>
        Assert.Empty(Validate("haven.vms.capacities { elsewhere { cpu = 4 } }"));

    [Fact]
    public void Validate_GoodSettings_HaveNoProblems() =>
        Assert.Empty(Validate(TwoNodes + """
            haven.vms {
              max-restarts = 0, io-pause-grace = 0s, restart-window = 30d
              placement { strategy = utilization, stickiness = 1000000, batch-limit = 2, migration-limit = 1 }
              capacities { n1 { cpu = 4096, memory = 64TiB }, n2 { cpu = 1, memory = 1MiB } }
            }
            """));

    [Fact]
    public void Read_BadValue_ThrowsWithPathAndOrigin()
    {
        var error = Assert.Throws<ConfigException>(() => HavenSettings.From(Parse("haven.vms {\n  capacities.n1.cpu = -1\n}\n")));
        Assert.Equal("haven.vms.capacities.n1.cpu", error.Path);
        Assert.StartsWith("haven.conf:2:", error.Origin!.ToString());
        Assert.StartsWith("haven.conf:2:", error.Message);
    }

    [Fact]
    public void ClusterWideSet_BadCapacity_IsRefusedByTheCrossCheck()
    {
        // what `haven config set haven.vms.capacities '{ n9 { cpu = 4 } }'` resolves to on a host listing n1 and n2
        var host = HoconParser.Parse(TwoNodes, "haven.conf");
        Assert.Null(ClusterWideSettings.Check("haven.vms.capacities", "{ n9 { cpu = 4 } }", out var value));
        var resolved = SettingsResolver.Resolve([new("haven.vms.capacities", value)], host).Config;
        var problem = Assert.Single(HavenConfig.CrossCheck(resolved));
        Assert.Equal("haven.vms.capacities.n9", problem.Path);
        Assert.Contains("not in haven.cluster.nodes", problem.Message);

        Assert.Null(ClusterWideSettings.Check("haven.vms.capacities", "{ n2 { cpu = 4, memory = 8GiB } }", out var good));
        Assert.Empty(HavenConfig.CrossCheck(SettingsResolver.Resolve([new("haven.vms.capacities", good)], host).Config));
    }

    [Fact]
    public void ClusterWideSet_UnknownStrategy_IsRefusedByTheSchema()
    {
        var error = ClusterWideSettings.Check("haven.vms.placement.strategy", "packed", out _);
        Assert.NotNull(error);
        Assert.Contains("haven.vms.placement.strategy", error);
    }
}
