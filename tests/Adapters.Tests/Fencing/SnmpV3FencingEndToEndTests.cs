using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Adapters.Fencing;
using Haven.Adapters.Tests.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing;

/// <summary>From a v3 device in haven.fencing and its passwords in the secrets file to a verified off, through snmpd.</summary>
public sealed class SnmpV3FencingEndToEndTests(SnmpdEmulator snmpd) : IClassFixture<SnmpdEmulator>, IDisposable
{
    private readonly TempFenceDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData("user = haven", "amm1.auth-password = \"authpass123\"\namm1.priv-password = \"privpass123\"")]
    [InlineData("user = haven-auth, priv-protocol = none", "amm1.auth-password = \"authonly123\"")]
    [InlineData("user = haven-md5, auth-protocol = md5, priv-protocol = none", "amm1.auth-password = \"md5pass1234\"")]
    public async Task Fence_V3Device_SucceedsOnceTheBladeReadsOff(string v3, string secrets)
    {
        snmpd.Reset(AmmState.Default());
        var (settings, loaded) = Load(v3, secrets);
        Assert.Empty(FencingConfig.CheckSecrets(settings, loaded));
        var fencer = FenceDeviceFactory.CreateFencer(settings, loaded);
        var result = await fencer.FenceAsync(Target("node01"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.Success, result.Detail);
        Assert.Equal(0, snmpd.Power(1));
        Assert.Equal(1, snmpd.Power(2));
    }

    [Fact]
    public async Task Fence_V3WrongAuthPassword_FailsNamingTheDigestAndSwitchesNothing()
    {
        snmpd.Reset(AmmState.Default());
        var (settings, loaded) = Load("user = haven", "amm1.auth-password = \"not-the-password\"\namm1.priv-password = \"privpass123\"");
        var fencer = FenceDeviceFactory.CreateFencer(settings, loaded);
        var result = await fencer.FenceAsync(Target("node01"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(result.Success);
        Assert.Contains("wrong auth password", result.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", result.Detail, StringComparison.Ordinal);
        Assert.Empty(snmpd.Sets());
        Assert.Equal(1, snmpd.Power(1));
    }

    [Theory]
    [InlineData("user = haven", "amm1.auth-password = \"authpass123\"", "amm1.priv-password")]
    [InlineData("user = haven", "amm1.priv-password = \"privpass123\"", "amm1.auth-password")]
    [InlineData("user = haven", "amm1.community = \"s3cret-rw\"", "amm1.auth-password")]
    public void Create_V3DeviceMissingAPassword_IsRefusedNamingTheDeviceAndKey(string v3, string secrets, string key)
    {
        var (settings, loaded) = Load(v3, secrets);
        Assert.Contains(FencingConfig.CheckSecrets(settings, loaded), p => p.Contains($"device amm1", StringComparison.Ordinal) && p.Contains(key, StringComparison.Ordinal));
        var error = Assert.Throws<FenceDeviceException>(() => FenceDeviceFactory.Create(settings, loaded));
        Assert.Equal("amm1", error.Device);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("authpass123", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("privpass123", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_V3PasswordTooShort_IsRefusedWithoutQuotingIt()
    {
        var (settings, loaded) = Load("user = haven-auth, priv-protocol = none", "amm1.auth-password = \"short\"");
        Assert.Contains(FencingConfig.CheckSecrets(settings, loaded), p => p.Contains("amm1.auth-password", StringComparison.Ordinal) && p.Contains("shorter than 8", StringComparison.Ordinal));
        var error = Assert.Throws<FenceDeviceException>(() => FenceDeviceFactory.Create(settings, loaded));
        Assert.Contains("shorter than 8 characters", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\"short\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WatchdogDevice_BuildsAWatchdogFenceDevice()
    {
        var config = HoconParser.Parse("haven.fencing { watchdog.enabled = on, devices.wd { type = watchdog, safety-factor = 3 } }", "t.conf");
        Assert.Empty(FencingConfig.Validate(config));
        var device = Assert.IsType<WatchdogFenceDevice>(FenceDeviceFactory.Create(FencingConfig.Read(config), FencingSecrets.None)["wd"]);
        Assert.Equal(TimeSpan.FromSeconds(30), device.Wait);
    }

    /// <summary>snmpd answers every request (a wrong password with a report): timeouts no loaded machine reaches, and reading off ends the wait.</summary>
    private (FencingSettings Settings, FencingSecrets Secrets) Load(string v3, string secrets)
    {
        var config = HoconParser.Parse($$"""
            haven.fencing {
              enabled = on
              device-retries = 0
              devices.amm1 { type = snmp-ibm-amm, address = "127.0.0.1:{{snmpd.Port}}", version = v3, {{v3}}, timeout = 5s, retries = 1,
                             no-softoff = on, off-timeout = 15s, poll-interval = 20ms }
              topology { node01 = [[amm1]] }
            }
            """, "e2e.conf");
        Assert.Empty(HavenConfig.Schema.Validate(config));
        Assert.Empty(FencingConfig.Validate(config));
        var path = dir.File("secrets.conf");
        File.WriteAllText(path, secrets + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (FencingConfig.Read(config), FencingSecretsFile.Load(path));
    }

    private static FenceTarget Target(string name) => new(new NodeId(1), name, "lost in a partition");
}
