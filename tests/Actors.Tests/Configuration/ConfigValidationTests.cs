using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

public sealed class ConfigValidationTests
{
    private static IReadOnlyList<ConfigProblem> Validate(string text) =>
        HavenConfig.Validate(HoconParser.Parse(text, "haven.conf", new HoconParseOptions { Fallback = HavenConfig.Reference }));

    [Fact]
    public void Reference_ValidatesCleanly()
    {
        Assert.Empty(HavenConfig.Validate(HavenConfig.Reference));
    }

    [Fact]
    public void Reference_HasTheDocumentedDefaults()
    {
        var r = HavenConfig.Reference;
        Assert.Equal("haven", r.GetString("haven.cluster.name"));
        Assert.Equal("sqlite", r.GetString("haven.journal.provider"));
        Assert.Equal(TimeSpan.FromMilliseconds(500), r.GetDuration("haven.heuristics.timeout"));
        Assert.Equal("reference.conf", r.Origin("haven.cluster.name").Source);
    }

    [Fact]
    public void UnknownKey_IsReportedWithTheNearestKnownKey()
    {
        var problem = Assert.Single(Validate("haven.jounral.provider = sqlite"));
        Assert.Equal("haven.conf:1:26: haven.jounral.provider: unknown key haven.jounral.provider; did you mean haven.journal.provider?", problem.ToString());
    }

    [Fact]
    public void UnknownKey_FarFromAnyKnownKey_HasNoSuggestion()
    {
        var problem = Assert.Single(Validate("akka.actor.provider = cluster"));
        Assert.Equal("unknown key akka.actor.provider", problem.Message);
    }

    [Theory]
    [InlineData("haven.heuristics.interval = soon", "haven.heuristics.interval", "expected a duration such as 2s, 500ms or 1 minute, found string \"soon\"")]
    [InlineData("haven.logging.console = 3", "haven.logging.console", "expected a boolean (on/off, true/false, yes/no), found number 3")]
    [InlineData("haven.split-brain-resolver.static-quorum.quorum-size = 2.5", "haven.split-brain-resolver.static-quorum.quorum-size", "expected a whole number, found number 2.5")]
    [InlineData("haven.cluster.name = [a]", "haven.cluster.name", "expected a string, found list")]
    [InlineData("haven.heuristics.addresses = 10.0.0.1", "haven.heuristics.addresses", "expected a list, found string \"10.0.0.1\"")]
    [InlineData("haven.heuristics.addresses = [{}]", "haven.heuristics.addresses[0]", "expected a string, found object")]
    [InlineData("haven.logging = verbose", "haven.logging", "expected an object, found string \"verbose\"")]
    [InlineData("haven.control.socket = null", "haven.control.socket", "expected a string, found null")]
    public void WrongType_IsReportedAgainstTheReferenceType(string text, string path, string message)
    {
        var problem = Assert.Single(Validate(text));
        Assert.Equal((path, message), (problem.Path, problem.Message));
        Assert.StartsWith("haven.conf:1:", problem.Origin);
    }

    [Fact]
    public void BadEnum_ListsTheAllowedValuesAndSuggests()
    {
        var problem = Assert.Single(Validate("haven.journal.provider = sqllite"));
        Assert.Equal("invalid value \"sqllite\"; expected one of sqlite, postgresql, memory; did you mean sqlite?", problem.Message);
        Assert.Single(Validate("haven.logging.format = xml"));
        Assert.Single(Validate("haven.logging.level = info"));
        Assert.Single(Validate("haven.split-brain-resolver.active-strategy = majority"));
    }

    [Fact]
    public void EveryAllowedEnumValue_Validates()
    {
        foreach (var level in new[] { "verbose", "debug", "information", "warning", "error", "fatal" })
        {
            Assert.Empty(Validate($"haven.logging.level = {level}"));
        }

        Assert.Empty(Validate("haven.journal.provider = memory\nhaven.logging.format = json\nhaven.cluster.transport = corosync"));
    }

    [Fact]
    public void CrossChecks_StrategyNeedsItsSettings()
    {
        var problem = Assert.Single(Validate("haven.split-brain-resolver.active-strategy = static-quorum"));
        Assert.Equal("haven.split-brain-resolver.static-quorum.quorum-size", problem.Path);
        Assert.Single(Validate("haven.split-brain-resolver.active-strategy = keep-referee"));
        Assert.Single(Validate("haven.journal.provider = postgresql"));
        Assert.Single(Validate("haven.heuristics.enabled = on"));
        Assert.Empty(Validate("haven.heuristics { enabled = on, addresses = [\"192.0.2.1\"] }"));
    }

    [Fact]
    public void SeveralProblems_AreAllReported()
    {
        Assert.Equal(3, Validate("haven.cluster.nmae = x\nhaven.logging.level = loud\nhaven.heuristics.timeout = never").Count);
    }
}
