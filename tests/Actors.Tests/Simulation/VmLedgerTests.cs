using Haven.Actors.Membership;
using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

public sealed class VmLedgerTests
{
    private static readonly NodeId A = new(1), B = new(2), C = new(3);

    [Fact]
    public void Started_WhileAnotherHostRunsIt_IsAViolation()
    {
        var (ledger, _) = VmLedger.Empty.Started(A, "WEB-01", 1);

        var (after, violation) = ledger.Started(B, "WEB-01", 2);

        Assert.Equal(InvariantNames.VmExclusive, violation?.Invariant);
        Assert.Equal([A, B], after.HoldersOf("WEB-01"));
    }

    [Fact]
    public void Started_AfterTheHolderCrashedUnfenced_IsAViolation_AfterFencingItIsNot()
    {
        var (ledger, _) = VmLedger.Empty.Started(A, "WEB-01", 1);
        var crashed = ledger.PoweredOff(A, fenced: false);

        var (_, early) = crashed.Started(B, "WEB-01", 2);
        var (_, late) = crashed.PoweredOff(A, fenced: true).Started(B, "WEB-01", 2);

        Assert.Contains("crashed, never fenced", early?.Detail);
        Assert.Null(late);
    }

    [Fact]
    public void Migrated_MovesTheVm_AndStartedAgainOnTheSameHostIsNoViolation()
    {
        var (ledger, _) = VmLedger.Empty.Started(A, "WEB-01", 1);

        var (moved, violation) = ledger.Migrated(A, B, "WEB-01", 2);
        var (_, again) = moved.Started(B, "WEB-01", 3);

        Assert.Null(violation);
        Assert.Null(again);
        Assert.Equal([B], moved.HoldersOf("WEB-01"));
    }

    [Fact]
    public void Migrated_ToAHostWhileAThirdRunsIt_IsAViolation()
    {
        var (ledger, _) = VmLedger.Empty.Started(A, "WEB-01", 1);
        (ledger, _) = ledger.Started(C, "WEB-01", 1);

        var (_, violation) = ledger.Migrated(A, B, "WEB-01", 2);

        Assert.NotNull(violation);
        Assert.Contains("n3", violation.Detail);
    }

    [Fact]
    public void Booted_HostRunsNothing()
    {
        var (ledger, _) = VmLedger.Empty.Started(A, "WEB-01", 1);

        Assert.Empty(ledger.PoweredOff(A, fenced: false).Booted(A).Holders);
    }
}
