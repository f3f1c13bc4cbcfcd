using Haven.Actors.Simulation;
using static Haven.Actors.Tests.Simulation.InvariantTestData;

namespace Haven.Actors.Tests.Simulation;

public sealed class AddressLedgerTests
{
    private const string Ip = "10.0.0.11";

    [Fact]
    public void Take_WhileAnotherHostHoldsIt_IsHandoverViolation()
    {
        var (ledger, found) = AddressLedger.Replay([new AddressTaken(N(1), Ip), new AddressTaken(N(2), Ip)]);

        var v = Assert.Single(found);
        Assert.Equal(InvariantNames.AddressHandover, v.Invariant);
        Assert.Equal(1, v.Step);
        Assert.Equal(new[] { N(2), N(1) }, v.Hosts);
        Assert.Contains("has not released it", v.Detail);
        Assert.Equal(new[] { N(1), N(2) }, ledger.HoldersOf(Ip));
    }

    [Fact]
    public void Take_AfterCrashWithoutFence_IsHandoverViolationNamingTheCrash()
    {
        var (_, found) = AddressLedger.Replay([new AddressTaken(N(1), Ip), new HostPoweredOff(N(1), Fenced: false), new AddressTaken(N(2), Ip)]);

        Assert.Contains("crashed, never fenced", Assert.Single(found).Detail);
    }

    [Theory]
    [MemberData(nameof(SafeHandovers))]
    public void Take_AfterReleaseFenceOrReboot_Passes(AddressAction between)
    {
        var (ledger, found) = AddressLedger.Replay([new AddressTaken(N(1), Ip), new HostPoweredOff(N(3), false), between, new AddressTaken(N(2), Ip)]);

        Assert.Empty(found);
        Assert.Equal(new[] { N(2) }, ledger.HoldersOf(Ip));
    }

    public static TheoryData<AddressAction> SafeHandovers() => new()
    {
        new AddressReleased(N(1), Ip),
        new HostPoweredOff(N(1), Fenced: true),
        new HostBooted(N(1)),
    };

    [Fact]
    public void Take_AgainBySameHolder_Passes()
    {
        Assert.Empty(AddressLedger.Replay([new AddressTaken(N(1), Ip), new AddressTaken(N(1), Ip)]).Violations);
    }
}
