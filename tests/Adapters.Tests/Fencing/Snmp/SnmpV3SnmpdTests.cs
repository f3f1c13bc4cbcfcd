using System.Diagnostics;
using Haven.Adapters.Fencing.Snmp;
using Xunit.Abstractions;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>The SNMPv3 (USM) client against Debian's snmpd with the emulated AMM: authPriv, authNoPriv, MD5, and every way to get it wrong.</summary>
public sealed class SnmpV3SnmpdTests(SnmpdEmulator snmpd, ITestOutputHelper output) : IClassFixture<SnmpdEmulator>
{
    private static readonly Oid StateOf1 = IbmChassisDevice.BladePowerState.Append(1);

    public static TheoryData<string> Users => ["priv", "auth", "md5"];

    private static SnmpUsmCredentials For(string user) => user switch
    {
        "priv" => SnmpdEmulator.PrivCredentials,
        "auth" => SnmpdEmulator.AuthCredentials,
        _ => SnmpdEmulator.Md5Credentials,
    };

    [Theory]
    [MemberData(nameof(Users))]
    public async Task Get_SysDescr_ReadsTheSignatureOverV3(string user)
    {
        snmpd.Reset(AmmState.Default() with { SysDescr = "IBM Flex Chassis Management Module" });
        using var client = snmpd.V3Client(For(user));
        var answer = await client.GetAsync(IbmChassisDevice.SysDescr, CancellationToken.None);
        Assert.Equal(SnmpVersion.V3, client.Version);
        Assert.Equal("IBM Flex Chassis Management Module", Assert.IsType<SnmpOctetString>(answer.Value).Text);
    }

    [Theory]
    [MemberData(nameof(Users))]
    public async Task Set_PowerControl_ChangesTheEmulatorsStateOverV3(string user)
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.V3Client(For(user));
        var answer = await client.SetAsync([new VarBind(IbmChassisDevice.BladePowerControl.Append(2), new SnmpInteger(0))], CancellationToken.None);
        Assert.Equal(new SnmpInteger(0), answer[0].Value);
        Assert.Equal(0, snmpd.Power(2));
        Assert.Equal([(2, 0)], snmpd.Sets());
    }

    [Theory]
    [MemberData(nameof(Users))]
    public async Task Walk_BladeNames_ReturnsEveryBladeOverV3(string user)
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.V3Client(For(user));
        var names = await client.WalkAsync(IbmChassisDevice.BladeNames, CancellationToken.None);
        Assert.Equal(["node01", "node02", "node03 (spare)"], names.Select(n => ((SnmpOctetString)n.Value).Text));
    }

    [Fact]
    public async Task ChassisDevice_OffOverV3_SwitchesTheBladeOffAndVerifies()
    {
        snmpd.Reset(AmmState.Default());
        using var device = new IbmChassisDevice("amm-v3", snmpd.V3Client(), new IbmChassisOptions { NoSoftOff = true, PollInterval = TimeSpan.FromMilliseconds(20) });
        var outcome = await device.ExecuteAsync("node02", Haven.Actors.Fencing.FenceAction.Off, CancellationToken.None);
        Assert.True(outcome.Success, outcome.Detail);
        Assert.Equal([(2, IbmChassisDevice.StateOff)], snmpd.Sets());
        Assert.Equal(0, snmpd.Power(2));
    }

    [Fact]
    public async Task Get_SeveralRequests_DiscoverTheEngineOnce()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.V3Client();
        Assert.Equal(new SnmpInteger(1), (await client.GetAsync(StateOf1, CancellationToken.None)).Value);
        var engine = client.Usm!.EngineId;
        Assert.InRange(engine.Length, 5, 32);
        Assert.Equal(new SnmpInteger(0), (await client.GetAsync(IbmChassisDevice.BladePowerState.Append(3), CancellationToken.None)).Value);
        Assert.Equal(engine, client.Usm.EngineId);
    }

    [Fact]
    public async Task Get_WrongAuthPassword_RaisesWrongDigestAndNeverSucceeds()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.V3Client(new SnmpUsmCredentials(SnmpdEmulator.PrivUser, "not-the-password", UsmAuthProtocol.Sha1, SnmpdEmulator.PrivUserPrivPassword));
        var error = await Assert.ThrowsAsync<SnmpUsmException>(() => client.GetAsync(StateOf1, CancellationToken.None));
        Assert.Equal(UsmError.WrongDigest, error.Error);
        Assert.Contains("wrong auth password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_WrongAuthPassword_ChangesNothing()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.V3Client(new SnmpUsmCredentials(SnmpdEmulator.AuthUser, "wrong-password", UsmAuthProtocol.Sha1, null, UsmPrivProtocol.None));
        var error = await Assert.ThrowsAsync<SnmpUsmException>(() =>
            client.SetAsync([new VarBind(IbmChassisDevice.BladePowerControl.Append(1), new SnmpInteger(0))], CancellationToken.None));
        Assert.Equal(UsmError.WrongDigest, error.Error);
        Assert.Equal(1, snmpd.Power(1));
        Assert.Empty(snmpd.Sets());
    }

    [Fact]
    public async Task Get_WrongAuthProtocol_RaisesWrongDigest()
    {
        using var client = snmpd.V3Client(new SnmpUsmCredentials(SnmpdEmulator.AuthUser, SnmpdEmulator.AuthUserPassword, UsmAuthProtocol.Md5, null, UsmPrivProtocol.None));
        var error = await Assert.ThrowsAsync<SnmpUsmException>(() => client.GetAsync(StateOf1, CancellationToken.None));
        Assert.Equal(UsmError.WrongDigest, error.Error);
    }

    [Fact]
    public async Task Get_UnknownUser_RaisesUnknownUserName()
    {
        using var client = snmpd.V3Client(new SnmpUsmCredentials("nobody", "whatever-pass", UsmAuthProtocol.Sha1, null, UsmPrivProtocol.None));
        var error = await Assert.ThrowsAsync<SnmpUsmException>(() => client.GetAsync(StateOf1, CancellationToken.None));
        Assert.Equal(UsmError.UnknownUserName, error.Error);
        Assert.Contains("nobody", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_WrongPrivPassword_RaisesDecryptionError()
    {
        using var client = snmpd.V3Client(new SnmpUsmCredentials(SnmpdEmulator.PrivUser, SnmpdEmulator.PrivUserAuthPassword, UsmAuthProtocol.Sha1, "wrong-priv-pass"));
        var error = await Assert.ThrowsAsync<SnmpUsmException>(() => client.GetAsync(StateOf1, CancellationToken.None));
        Assert.Equal(UsmError.DecryptionError, error.Error);
        Assert.DoesNotContain("wrong-priv-pass", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_PrivForAnAuthOnlyUser_RaisesAnError()
    {
        // The auth-only user has no privacy key at the agent: an encrypted request cannot succeed.
        using var client = snmpd.V3Client(new SnmpUsmCredentials(SnmpdEmulator.AuthUser, SnmpdEmulator.AuthUserPassword, UsmAuthProtocol.Sha1, "some-priv-pass"));
        var error = await Assert.ThrowsAsync<SnmpUsmException>(() => client.GetAsync(StateOf1, CancellationToken.None));
        Assert.Contains(error.Error, new[] { UsmError.UnsupportedSecurityLevel, UsmError.DecryptionError });
    }

    [Fact]
    public async Task Get_ClockFarAhead_ResynchronisesOnceAndSucceeds()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.V3Client();
        await client.GetAsync(StateOf1, CancellationToken.None);
        var usm = client.Usm!;
        var realTime = usm.EstimatedEngineTime;
        usm.Synchronize(usm.EngineId.AsSpan(), usm.EngineBoots, realTime + 100_000);
        var answer = await client.GetAsync(StateOf1, CancellationToken.None);
        Assert.Equal(new SnmpInteger(1), answer.Value);
        Assert.InRange(usm.EstimatedEngineTime, realTime, realTime + 60);
    }

    [Fact]
    public async Task Get_StaleBoots_ResynchronisesOnceAndSucceeds()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.V3Client(SnmpdEmulator.AuthCredentials);
        await client.GetAsync(StateOf1, CancellationToken.None);
        var usm = client.Usm!;
        var boots = usm.EngineBoots;
        usm.Synchronize(usm.EngineId.AsSpan(), boots + 5, 0);
        await client.GetAsync(StateOf1, CancellationToken.None);
        Assert.Equal(boots, usm.EngineBoots);
    }

    [Fact]
    public async Task Get_WrongEngineId_RediscoversAndSucceeds()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.V3Client();
        await client.GetAsync(StateOf1, CancellationToken.None);
        var usm = client.Usm!;
        var engine = usm.EngineId;
        usm.Synchronize(Convert.FromHexString("8000000001020304050607"), 1, 1);
        var answer = await client.GetAsync(StateOf1, CancellationToken.None);
        Assert.Equal(new SnmpInteger(1), answer.Value);
        Assert.Equal(Convert.ToHexString(engine.AsSpan()), Convert.ToHexString(usm.EngineId.AsSpan()));
    }

    [Fact]
    public async Task Get_RoundTrip_IsMeasured()
    {
        snmpd.Reset(AmmState.Default());
        using var v3 = snmpd.V3Client();
        using var v2c = snmpd.Client();
        await v3.GetAsync(StateOf1, CancellationToken.None);
        await v2c.GetAsync(StateOf1, CancellationToken.None);
        const int Rounds = 50;
        var v3Time = await Time(v3);
        var v2cTime = await Time(v2c);
        output.WriteLine($"SNMP GET round trip against snmpd (pass_persist AMM emulator), mean of {Rounds}: v3 authPriv SHA/AES {v3Time.TotalMilliseconds / Rounds:0.000} ms, v2c {v2cTime.TotalMilliseconds / Rounds:0.000} ms");

        static async Task<TimeSpan> Time(SnmpClient client)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < Rounds; i++)
            {
                Assert.Equal(new SnmpInteger(1), (await client.GetAsync(StateOf1, CancellationToken.None)).Value);
            }

            return clock.Elapsed;
        }
    }
}
