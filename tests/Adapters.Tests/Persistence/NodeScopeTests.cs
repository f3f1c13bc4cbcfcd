using Haven.Adapters.Persistence;

namespace Haven.Adapters.Tests.Persistence;

public sealed class NodeScopeTests
{
    private static readonly NodeScope N1 = new("n1");

    [Fact]
    public void ToStored_PlainId_PrefixesNodeAndSlash()
    {
        Assert.Equal("n1/", N1.Prefix);
        Assert.Equal("n1/cluster", N1.ToStored("cluster"));
    }

    [Theory]
    [InlineData("cluster")]
    [InlineData("vm/web-1")]
    [InlineData("a/b/c")]
    [InlineData("daemon-n1")]
    public void FromStored_OwnStoredId_ReturnsTheIdUnchanged(string id)
    {
        var stored = N1.ToStored(id);
        Assert.True(N1.Owns(stored));
        Assert.Equal(id, N1.FromStored(stored));
        Assert.False(NodeScope.IsUnscoped(stored));
    }

    [Theory]
    [InlineData("n10/cluster")]
    [InlineData("n2/cluster")]
    [InlineData("cluster")]
    [InlineData("n1/")]
    [InlineData("N1/cluster")]
    public void FromStored_IdOfAnotherNodeOrUnscoped_IsNotOwnedAndThrows(string stored)
    {
        Assert.False(N1.Owns(stored));
        var ex = Assert.Throws<InvalidOperationException>(() => N1.FromStored(stored));
        Assert.Contains("n1", ex.Message);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("x y")]
    [InlineData("ñ")]
    public void Constructor_InvalidNodeName_ThrowsNamingIt(string node)
    {
        var ex = Assert.Throws<ArgumentException>(() => new NodeScope(node));
        Assert.Contains($"\"{node}\"", ex.Message);
    }

    [Fact]
    public void ToStored_EmptyId_Throws() => Assert.Throws<ArgumentException>(() => N1.ToStored(""));

    [Theory]
    [InlineData("cluster", true)]
    [InlineData("daemon-n1", true)]
    [InlineData("n1/cluster", false)]
    public void IsUnscoped_IdWithoutSlash_IsUnscoped(string id, bool unscoped) => Assert.Equal(unscoped, NodeScope.IsUnscoped(id));
}

public sealed class UnscopedAdoptionTests
{
    private static readonly NodeScope N1 = new("n1");

    private static UnscopedAdoption Decide(bool scopeHasRecords, params string[] ids) =>
        UnscopedAdoption.Decide(N1, ids, scopeHasRecords, "daemon-");

    [Fact]
    public void Decide_NoUnscopedIds_NothingToDo() =>
        Assert.Equal(AdoptionOutcome.NothingUnscoped, Decide(false).Outcome);

    [Fact]
    public void Decide_OnlyThisHostsDaemonRecord_AdoptsEveryIdSorted()
    {
        var d = Decide(false, "fence-history", "daemon-n1", "cluster");
        Assert.Equal(AdoptionOutcome.Adopted, d.Outcome);
        Assert.Equal(["cluster", "daemon-n1", "fence-history"], d.Ids);
        Assert.Contains("n1/", d.Reason);
    }

    [Fact]
    public void Decide_ThisHostAlreadyHasScopedRecords_LeavesThemAlone()
    {
        var d = Decide(true, "cluster", "daemon-n1");
        Assert.Equal(AdoptionOutcome.LeftAlone, d.Outcome);
        Assert.Contains("already has records", d.Reason);
    }

    [Fact]
    public void Decide_AnotherHostsDaemonRecord_LeavesThemAloneNamingThatHost()
    {
        var d = Decide(false, "cluster", "daemon-n2");
        Assert.Equal(AdoptionOutcome.LeftAlone, d.Outcome);
        Assert.Contains("n2", d.Reason);
    }

    [Fact]
    public void Decide_RecordsOfThisAndAnotherHost_AdoptsNone()
    {
        var d = Decide(false, "cluster", "daemon-n1", "daemon-n2");
        Assert.Equal(AdoptionOutcome.LeftAlone, d.Outcome);
        Assert.Contains("n2 as well as n1", d.Reason);
    }

    [Theory]
    [InlineData("cluster")]
    [InlineData("cluster", "daemon-")]
    public void Decide_NoRecordNamesTheWriter_LeavesThemAlone(params string[] ids)
    {
        var d = Decide(false, ids);
        Assert.Equal(AdoptionOutcome.LeftAlone, d.Outcome);
        Assert.Contains("daemon-NODE", d.Reason);
    }
}
