using Haven.Adapters.Fencing.Snmp;

namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>The client against Debian's snmpd: the codec meets a real agent.</summary>
public sealed class SnmpClientSnmpdTests(SnmpdEmulator snmpd) : IClassFixture<SnmpdEmulator>
{
    private static readonly Oid StateOf1 = IbmChassisDevice.BladePowerState.Append(1);

    [Theory]
    [InlineData(SnmpVersion.V1)]
    [InlineData(SnmpVersion.V2c)]
    public async Task Get_SysDescr_ReadsTheEmulatorsSignature(SnmpVersion version)
    {
        snmpd.Reset(AmmState.Default() with { SysDescr = "IBM Flex Chassis Management Module" });
        using var client = snmpd.Client(version);
        var answer = await client.GetAsync(IbmChassisDevice.SysDescr, CancellationToken.None);
        Assert.Equal(IbmChassisDevice.SysDescr, answer.Oid);
        Assert.Equal("IBM Flex Chassis Management Module", Assert.IsType<SnmpOctetString>(answer.Value).Text);
    }

    [Fact]
    public async Task Get_SeveralOids_AnswersInOrder()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.Client();
        var answers = await client.GetAsync([StateOf1, IbmChassisDevice.BladePowerState.Append(3)], CancellationToken.None);
        Assert.Equal([new SnmpInteger(1), new SnmpInteger(0)], answers.Select(a => a.Value));
    }

    [Theory]
    [InlineData(SnmpVersion.V1)]
    [InlineData(SnmpVersion.V2c)]
    public async Task Walk_BladeNames_ReturnsEveryBladeInOrder(SnmpVersion version)
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.Client(version);
        var names = await client.WalkAsync(IbmChassisDevice.BladeNames, CancellationToken.None);
        Assert.Equal(["node01", "node02", "node03 (spare)"], names.Select(n => ((SnmpOctetString)n.Value).Text));
        Assert.Equal([1u, 2u, 3u], names.Select(n => n.Oid[^1]));
    }

    [Fact]
    public async Task GetNext_AfterTheLastBladeName_MovesToTheNextColumn()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.Client();
        var next = await client.GetNextAsync([IbmChassisDevice.BladeNames.Append(3)], CancellationToken.None);
        Assert.Equal(IbmChassisDevice.BladePowerControl.Append(1), next[0].Oid);
    }

    [Fact]
    public async Task Set_PowerControl_ChangesTheEmulatorsState()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.Client();
        var answer = await client.SetAsync([new VarBind(IbmChassisDevice.BladePowerControl.Append(2), new SnmpInteger(0))], CancellationToken.None);
        Assert.Equal(new SnmpInteger(0), answer[0].Value);
        Assert.Equal(0, snmpd.Power(2));
        Assert.Equal([(2, 0)], snmpd.Sets());
    }

    [Fact]
    public async Task Set_WithTheReadOnlyCommunity_IsAnsweredWithAnError()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.Client(community: SnmpdEmulator.ReadOnlyCommunity);
        var error = await Assert.ThrowsAsync<SnmpErrorResponseException>(() =>
            client.SetAsync([new VarBind(IbmChassisDevice.BladePowerControl.Append(1), new SnmpInteger(0))], CancellationToken.None));
        Assert.Equal(SnmpErrorStatus.NoAccess, error.Status);
        Assert.Equal(1, snmpd.Power(1));
        Assert.DoesNotContain(SnmpdEmulator.ReadOnlyCommunity, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_RefusedByTheAgent_RaisesNotWritable()
    {
        snmpd.Reset(AmmState.Default() with { Mode = "refuse" });
        using var client = snmpd.Client();
        var error = await Assert.ThrowsAsync<SnmpErrorResponseException>(() =>
            client.SetAsync([new VarBind(IbmChassisDevice.BladePowerControl.Append(1), new SnmpInteger(0))], CancellationToken.None));
        Assert.Equal(SnmpErrorStatus.NotWritable, error.Status);
        Assert.Equal(IbmChassisDevice.BladePowerControl.Append(1), error.Oid);
    }

    [Fact]
    public async Task Get_MissingInstanceV2c_ReturnsNoSuchInstanceOrObject()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.Client();
        var answer = await client.GetAsync(IbmChassisDevice.BladePowerState.Append(9), CancellationToken.None);
        Assert.True(answer.Value.IsException, $"expected an exception value, got {answer.Value}");
    }

    [Fact]
    public async Task Get_MissingInstanceV1_RaisesNoSuchName()
    {
        snmpd.Reset(AmmState.Default());
        using var client = snmpd.Client(SnmpVersion.V1);
        var error = await Assert.ThrowsAsync<SnmpErrorResponseException>(() => client.GetAsync(IbmChassisDevice.BladePowerState.Append(9), CancellationToken.None));
        Assert.Equal(SnmpErrorStatus.NoSuchName, error.Status);
    }

    [Fact]
    public async Task Get_WrongCommunity_TimesOutAfterEveryRetry()
    {
        // snmpd drops requests with an unknown community without answering.
        using var client = snmpd.Client(community: "wrong-community", options: new SnmpClientOptions { Timeout = TimeSpan.FromMilliseconds(150), Retries = 2 });
        var error = await Assert.ThrowsAsync<SnmpTimeoutException>(() => client.GetAsync(IbmChassisDevice.SysDescr, CancellationToken.None));
        Assert.Equal(3, error.Attempts);
        Assert.DoesNotContain("wrong-community", error.Message, StringComparison.Ordinal);
    }
}
