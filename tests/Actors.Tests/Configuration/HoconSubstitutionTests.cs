using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

public sealed class HoconSubstitutionTests
{
    private static Config Parse(string text, Dictionary<string, string>? env = null, Config? fallback = null) =>
        HoconParser.Parse(text, "t.conf", new HoconParseOptions
        {
            Environment = env is null ? null : name => env.GetValueOrDefault(name),
            Fallback = fallback,
        });

    [Fact]
    public void Substitution_OfScalarObjectAndList_CopiesTheValueWithItsType()
    {
        var c = Parse("a { x = 1, l = [1, 2] }\nb = ${a}\nc = ${a.x}\nd = ${a.l}");
        Assert.Equal(1, c.GetInt("b.x"));
        Assert.Equal(HoconValueKind.Number, c.GetValue("c").Kind);
        Assert.Equal(["1", "2"], c.GetStringList("d"));
    }

    [Fact]
    public void Substitution_SeesTheFinalValueEvenWhenWrittenEarlier()
    {
        Assert.Equal("late", Parse("b = ${a}\na = early\na = late").GetString("b"));
    }

    [Fact]
    public void Substitution_InsideStringConcatenation_Joins()
    {
        Assert.Equal("/var/lib/haven/x.db", Parse("dir = /var/lib/haven\npath = ${dir}\"/x.db\"").GetString("path"));
        Assert.Equal("a b", Parse("x = a\ny = b\nz = ${x} ${y}").GetString("z"));
    }

    [Fact]
    public void Substitution_ListAndObjectConcatenation_Combine()
    {
        var c = Parse("l = [1]\nm = ${l} [2] [3]\no = { x = 1 }\np = ${o} { y = 2 }");
        Assert.Equal(["1", "2", "3"], c.GetStringList("m"));
        Assert.Equal(["x", "y"], c.GetObjectKeys("p"));
    }

    [Fact]
    public void Substitution_FromEnvironment_WhenNotInConfig()
    {
        var c = Parse("home = ${HOME}\nnode = ${?HAVEN_NODE}", new() { ["HOME"] = "/root", ["HAVEN_NODE"] = "n1" });
        Assert.Equal(("/root", "n1"), (c.GetString("home"), c.GetString("node")));
    }

    [Fact]
    public void OptionalSubstitution_Undefined_KeepsTheEarlierValue()
    {
        var c = Parse("port = 80\nport = ${?PORT}\nother = ${?NOPE}", []);
        Assert.Equal(80, c.GetInt("port"));
        Assert.False(c.HasPath("other"));
        Assert.Equal(8080, Parse("port = 80\nport = ${?PORT}", new() { ["PORT"] = "8080" }).GetInt("port"));
    }

    [Fact]
    public void OptionalSubstitution_UndefinedInsideConcatenation_ContributesNothing()
    {
        Assert.Equal("x", Parse("a = ${?NOPE} x").GetString("a"));
    }

    [Fact]
    public void RequiredSubstitution_Missing_NamesThePathAndPosition()
    {
        var ex = Assert.Throws<HoconException>(() => Parse("a = 1\nb = ${no.such}", []));
        Assert.Equal("t.conf:2:5: cannot resolve substitution ${no.such}: no setting at that path and no environment variable no.such", ex.Message);
    }

    [Fact]
    public void Substitution_Cycle_IsReported()
    {
        var ex = Assert.Throws<HoconException>(() => Parse("a = ${b}\nb = ${c}\nc = ${a}"));
        Assert.Equal("t.conf:3:5: substitution cycle: ${b} -> ${c} -> ${a}", ex.Message);
    }

    [Fact]
    public void Substitution_OfItsOwnParent_IsACycle()
    {
        var ex = Assert.Throws<HoconException>(() => Parse("a { b = ${a} }"));
        Assert.Contains("substitution cycle", ex.Message);
    }

    [Fact]
    public void Substitution_OfSiblingInsideSameObject_Resolves()
    {
        Assert.Equal(1, Parse("a { x = 1, y = ${a.x} }").GetInt("a.y"));
    }

    [Fact]
    public void SelfReference_AppendsToTheEarlierList()
    {
        var c = Parse("path = [a]\npath = ${path} [b]\nobj { l = [1] }\nobj { l = ${obj.l} [2] }");
        Assert.Equal(["a", "b"], c.GetStringList("path"));
        Assert.Equal(["1", "2"], c.GetStringList("obj.l"));
    }

    [Fact]
    public void SelfReference_WithoutEarlierValue_IsAnError()
    {
        var ex = Assert.Throws<HoconException>(() => Parse("a = ${a} [1]"));
        Assert.Equal("t.conf:1:5: substitution ${a} refers to the setting being defined, which has no earlier value", ex.Message);
    }

    [Fact]
    public void Fallback_SubstitutionsAndAppendSeeTheDefaults()
    {
        var defaults = HoconParser.Parse("app { name = haven, list = [a] }", "ref.conf");
        var c = Parse("app.title = ${app.name}\"!\"\napp.list += b", fallback: defaults);
        Assert.Equal("haven!", c.GetString("app.title"));
        Assert.Equal(["a", "b"], c.GetStringList("app.list"));
        Assert.Equal("haven", c.GetString("app.name"));
    }

    [Fact]
    public void Fallback_UndefinedOptionalOverride_KeepsTheDefault()
    {
        var defaults = HoconParser.Parse("app.name = haven", "ref.conf");
        Assert.Equal("haven", Parse("app.name = ${?APP_NAME}", [], defaults).GetString("app.name"));
    }
}
