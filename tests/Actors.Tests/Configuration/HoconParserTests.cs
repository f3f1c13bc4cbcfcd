using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

public sealed class HoconParserTests
{
    private static Config Parse(string text) => HoconParser.Parse(text, "t.conf");

    [Fact]
    public void Parse_NestedObjectsWithEverySeparator_ReadsAllValues()
    {
        var c = Parse("a { b = 1, c : 2\n d { e = x } }");
        Assert.Equal(1, c.GetInt("a.b"));
        Assert.Equal(2, c.GetInt("a.c"));
        Assert.Equal("x", c.GetString("a.d.e"));
    }

    [Fact]
    public void Parse_DottedKeys_CreateNestedObjects()
    {
        var c = Parse("a.b.c = 1\na.b.d = 2");
        Assert.Equal(["c", "d"], c.GetObjectKeys("a.b"));
    }

    [Fact]
    public void Parse_QuotedKeyWithDots_IsOneKey()
    {
        var c = Parse("devices { \"pdu.1\" = snmp }");
        Assert.Equal("snmp", c.GetString("devices.\"pdu.1\""));
        Assert.Equal(["pdu.1"], c.GetObjectKeys("devices"));
    }

    [Fact]
    public void Parse_RootInBraces_IsAccepted()
    {
        Assert.Equal(3, Parse("{ \"a\": 3 }").GetInt("a"));
    }

    [Fact]
    public void Parse_JsonDocument_IsAccepted()
    {
        var c = Parse("{\"a\": {\"b\": [1, 2.5, \"x\", true, null]}, \"c\": false}");
        var list = Assert.IsType<HoconList>(c.GetValue("a.b"));
        Assert.Equal([HoconValueKind.Number, HoconValueKind.Number, HoconValueKind.String, HoconValueKind.Boolean, HoconValueKind.Null],
            list.Items.Select(i => i.Kind));
        Assert.False(c.GetBoolean("c"));
    }

    [Fact]
    public void Parse_MultiLineArrayWithTrailingComma_ReadsEveryElement()
    {
        var c = Parse("a = [\n  one,\n  \"two\"\n  three,\n]\n");
        Assert.Equal(["one", "two", "three"], c.GetStringList("a"));
    }

    [Fact]
    public void Parse_EmptyArrayAndObject_AreEmpty()
    {
        var c = Parse("a = []\nb = {}");
        Assert.Empty(c.GetStringList("a"));
        Assert.Empty(c.GetObjectKeys("b"));
    }

    [Fact]
    public void Parse_QuotedStringEscapes_AreUnescaped()
    {
        var c = Parse(@"a = ""q\"" b\\ s\/ \t\n \u00e9""");
        Assert.Equal("q\" b\\ s/ \t\n é", c.GetString("a"));
    }

    [Fact]
    public void Parse_TripleQuotedString_KeepsNewlinesAndQuotesRaw()
    {
        var c = Parse("a = \"\"\"line1\n  \"quoted\" \\n\nline3\"\"\"\nb = 1");
        Assert.Equal("line1\n  \"quoted\" \\n\nline3", c.GetString("a"));
        Assert.Equal(1, c.GetInt("b"));
    }

    [Fact]
    public void Parse_TripleQuotedStringEndingInQuote_KeepsTheExtraQuote()
    {
        Assert.Equal("x\"", Parse("a = \"\"\"x\"\"\"\"").GetString("a"));
    }

    [Fact]
    public void Parse_UnquotedConcatenation_KeepsInnerWhitespace()
    {
        var c = Parse("a = foo  bar baz   \nb = 10 MB");
        Assert.Equal("foo  bar baz", c.GetString("a"));
        Assert.Equal("10 MB", c.GetString("b"));
        Assert.Equal(HoconValueKind.String, c.GetValue("b").Kind);
    }

    [Fact]
    public void Parse_QuotedAndUnquotedAdjacent_Concatenate()
    {
        Assert.Equal("foo bar.baz", Parse("a = foo\" bar\".baz").GetString("a"));
    }

    [Theory]
    [InlineData("42", HoconValueKind.Number)]
    [InlineData("-3.5e2", HoconValueKind.Number)]
    [InlineData("true", HoconValueKind.Boolean)]
    [InlineData("null", HoconValueKind.Null)]
    [InlineData("on", HoconValueKind.String)]
    [InlineData("007", HoconValueKind.String)]
    [InlineData("\"42\"", HoconValueKind.String)]
    public void Parse_ScalarLiterals_HaveTheirKind(string literal, HoconValueKind kind)
    {
        Assert.Equal(kind, Parse($"a = {literal}").GetValue("a").Kind);
    }

    [Fact]
    public void Parse_BothCommentStyles_AreIgnored()
    {
        var c = Parse("# hash\na = 1 # trailing\n// slashes\nb = 2 // trailing\nc = \"# not a comment\"");
        Assert.Equal(1, c.GetInt("a"));
        Assert.Equal(2, c.GetInt("b"));
        Assert.Equal("# not a comment", c.GetString("c"));
        Assert.Equal(["a", "b", "c"], c.Root.Keys);
    }

    [Fact]
    public void Parse_DuplicateObjects_Merge()
    {
        var c = Parse("a { x = 1, y = 1 }\na { y = 2, z = 3 }");
        Assert.Equal((1, 2, 3), (c.GetInt("a.x"), c.GetInt("a.y"), c.GetInt("a.z")));
    }

    [Fact]
    public void Parse_LaterScalar_ReplacesObjectAndLaterObjectStartsAfresh()
    {
        var c = Parse("a { x = 1 }\na = 5\na { y = 2 }");
        Assert.Equal(["y"], c.GetObjectKeys("a"));
        Assert.Equal(7, Parse("a { x = 1 }\na = 7").GetInt("a"));
    }

    [Fact]
    public void Parse_DuplicateScalar_LastWins()
    {
        Assert.Equal("two", Parse("a = one\na = two").GetString("a"));
    }

    [Fact]
    public void Parse_PlusEquals_AppendsAndStartsAListWhenAbsent()
    {
        var c = Parse("a = [1]\na += 2\na += \"three\"\nb += x");
        Assert.Equal(["1", "2", "three"], c.GetStringList("a"));
        Assert.Equal(["x"], c.GetStringList("b"));
    }

    [Fact]
    public void Parse_Origin_PointsAtTheValue()
    {
        var c = Parse("\n  a {\n    b = hello\n  }");
        Assert.Equal(new ConfigOrigin("t.conf", 3, 9), c.Origin("a.b"));
        Assert.Equal(new ConfigOrigin("t.conf", 2, 5), c.Origin("a"));
    }

    [Fact]
    public void Parse_CrLfLineEndings_CountLinesCorrectly()
    {
        var c = Parse("a = 1\r\nb = 2\r\n");
        Assert.Equal(2, c.Origin("b").Line);
        Assert.Equal(2, c.GetInt("b"));
    }

    [Fact]
    public void Parse_KeyNamedInclude_IsAnOrdinaryKey()
    {
        Assert.Equal("yes", Parse("include = yes").GetString("include"));
    }

    [Fact]
    public void Parse_EmptyText_IsEmptyConfig()
    {
        Assert.Empty(Parse("  \n# nothing\n").Root.Keys);
    }

    [Fact]
    public void Render_ParsedConfig_ParsesBackToTheSameValues()
    {
        var c = Parse("a { b = \"x\\\"y\", c = [1, true, null], d {} }\ne = 2.5");
        var again = Parse(c.Render());
        Assert.Equal("x\"y", again.GetString("a.b"));
        Assert.Equal(3, ((HoconList)again.GetValue("a.c")).Items.Count);
        Assert.Equal(2.5, again.GetDouble("e"));
    }
}
