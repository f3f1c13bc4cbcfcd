using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Adapters.Fencing;
using Haven.Adapters.Tests.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing;

/// <summary>From haven.fencing and a secrets file to a verified off: the AMM emulator in snmpd and fence_dummy.</summary>
public sealed class TopologyFencerEndToEndTests(SnmpdEmulator snmpd) : IClassFixture<SnmpdEmulator>, IDisposable
{
    private readonly TempFenceDirectory dir = new();
    private readonly FenceHistoryLog history = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Fence_AmmLevel_SucceedsOnceTheBladeReadsOff()
    {
        snmpd.Reset(AmmState.Default());
        var fencer = Fencer("node01 = [[amm1]]");
        var result = await fencer.FenceAsync(Target("node01"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.Success, result.Detail);
        Assert.Equal("amm1", result.Device);
        Assert.Equal(0, snmpd.Power(1));
        Assert.Equal(1, snmpd.Power(2));
    }

    [Fact]
    public async Task Fence_AmmLiesAndNoOtherLevel_FailsAndNeverSucceeds()
    {
        snmpd.Reset(AmmState.Default() with { Mode = "lie" });
        var fencer = Fencer("node01 = [[amm1]]", bladeStaysOn: true);
        var result = await fencer.FenceAsync(Target("node01"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(result.Success);
        Assert.Contains("still reads power state 1 (on)", result.Detail, StringComparison.Ordinal);
        Assert.IsType<FenceHistoryFailed>(history.Snapshot()[^1]);
    }

    [Fact]
    public async Task Fence_AmmRefuses_FallsBackToTheFenceAgentLevel()
    {
        snmpd.Reset(AmmState.Default() with { Mode = "refuse" });
        var status = dir.File("dummy.status");
        File.WriteAllText(status, "on");
        var fencer = Fencer("node01 = [[amm1], [dummy]]", status);
        var result = await fencer.FenceAsync(Target("node01"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.Success, result.Detail);
        Assert.Equal("dummy", result.Device);
        Assert.Equal("off", File.ReadAllText(status));
        Assert.Equal(2, Assert.IsType<FenceHistorySucceeded>(history.Snapshot()[^1]).Level);
    }

    [Fact]
    public async Task Fence_WrongSignature_FailsNamingIt()
    {
        snmpd.Reset(AmmState.Default() with { SysDescr = "Cisco IOS" });
        var fencer = Fencer("node01 = [[amm1]]");
        var result = await fencer.FenceAsync(Target("node01"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(result.Success);
        Assert.Contains("answered sysDescr \"Cisco IOS\"", result.Detail, StringComparison.Ordinal);
        Assert.Empty(snmpd.Sets());
    }

    [Fact]
    public async Task FenceAll_TwoBlades_BothReadOff()
    {
        snmpd.Reset(AmmState.Default());
        var fencer = Fencer("\"*\" = [[amm1]]");
        var results = await fencer.FenceAllAsync([Target("node01"), Target("node02")], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(results, r => Assert.True(r.Success, r.Detail));
        Assert.Equal((0, 0), (snmpd.Power(1), snmpd.Power(2)));
    }

    [Fact]
    public void Create_SnmpDeviceWithoutCommunity_Throws()
    {
        var settings = FencingConfig.Read(HoconParser.Parse($"haven.fencing.devices.amm1 {{ type = snmp-ibm-amm, address = \"127.0.0.1:{snmpd.Port}\" }}", "t.conf"));
        var error = Assert.Throws<FenceDeviceException>(() => FenceDeviceFactory.Create(settings, FencingSecrets.None));
        Assert.Contains("no community for amm1 in the secrets file", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// snmpd answers every request here, so the SNMP timeout is one a loaded machine never reaches (a resent
    /// SET would be carried out twice). The waits for the blade's state are short only where it never
    /// changes (<paramref name="bladeStaysOn"/>); elsewhere reading the state ends them.
    /// </summary>
    private TopologyFencer Fencer(string topology, string? dummyStatus = null, bool bladeStaysOn = false)
    {
        var waits = bladeStaysOn ? "soft-off-timeout = 200ms, off-timeout = 400ms, on-timeout = 400ms" : "soft-off-timeout = 15s, off-timeout = 15s, on-timeout = 15s";
        var config = HoconParser.Parse($$"""
            haven.fencing {
              enabled = on
              device-retries = 0
              devices {
                amm1 { type = snmp-ibm-amm, address = "127.0.0.1:{{snmpd.Port}}", timeout = 5s, retries = 1,
                       {{waits}}, poll-interval = 20ms }
                dummy { type = fence-agent, agent = fence_dummy, send-plug = off, options { status_file = "{{dummyStatus ?? dir.File("none")}}" } }
              }
              topology { {{topology}} }
            }
            """, "e2e.conf");
        Assert.Empty(HavenConfig.Schema.Validate(config));
        Assert.Empty(FencingConfig.Validate(config));
        var secretsPath = dir.File("secrets.conf");
        File.WriteAllText(secretsPath, $"amm1.community = \"{SnmpdEmulator.ReadWriteCommunity}\"\n");
        File.SetUnixFileMode(secretsPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var settings = FencingConfig.Read(config);
        var secrets = FencingSecretsFile.Load(secretsPath);
        Assert.Empty(FencingConfig.CheckSecrets(settings, secrets));
        return FenceDeviceFactory.CreateFencer(settings, secrets, history: history.Add);
    }

    private static FenceTarget Target(string name) => new(new NodeId(1), name, "lost in a partition");
}
