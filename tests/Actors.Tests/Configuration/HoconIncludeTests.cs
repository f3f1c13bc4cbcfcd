using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>In-memory files, for include tests without the file system.</summary>
internal sealed class MemoryIncludes(Dictionary<string, string> files) : IHoconIncludeResolver
{
    public List<string> Requested { get; } = [];

    public string? Resolve(string includeName, string fromSourceName, out string resolvedSourceName)
    {
        Requested.Add(includeName);
        resolvedSourceName = includeName;
        return files.GetValueOrDefault(includeName);
    }
}

public sealed class HoconIncludeTests
{
    [Fact]
    public void Include_AllForms_MergeIntoTheIncludingObject()
    {
        var includes = new MemoryIncludes(new() { ["a.conf"] = "x = 1", ["b.conf"] = "y = 2", ["c.conf"] = "z = 3", ["d.conf"] = "w = 4" });
        var c = HoconParser.Parse(
            "include \"a.conf\"\ninclude file(\"b.conf\")\ninclude required(\"c.conf\")\nsub { include required(file(\"d.conf\")) }",
            "main.conf", includes);
        Assert.Equal((1, 2, 3, 4), (c.GetInt("x"), c.GetInt("y"), c.GetInt("z"), c.GetInt("sub.w")));
    }

    [Fact]
    public void Include_LaterSettings_OverrideIncludedOnes()
    {
        var includes = new MemoryIncludes(new() { ["base.conf"] = "a { x = 1, y = 1 }" });
        var c = HoconParser.Parse("include \"base.conf\"\na.y = 2", "main.conf", includes);
        Assert.Equal((1, 2), (c.GetInt("a.x"), c.GetInt("a.y")));
    }

    [Fact]
    public void Include_MissingOptional_IsIgnored()
    {
        var c = HoconParser.Parse("include \"nope.conf\"\na = 1", "main.conf", new MemoryIncludes([]));
        Assert.Equal(["a"], c.Root.Keys);
    }

    [Fact]
    public void Include_MissingRequired_NamesTheFileAndPosition()
    {
        var ex = Assert.Throws<HoconException>(() =>
            HoconParser.Parse("a = 1\ninclude required(\"nope.conf\")", "main.conf", new MemoryIncludes([])));
        Assert.Equal("main.conf:2:18: required include \"nope.conf\" not found (looked for nope.conf)", ex.Message);
    }

    [Fact]
    public void Include_Cycle_IsReportedWithTheChain()
    {
        var includes = new MemoryIncludes(new() { ["a.conf"] = "include \"b.conf\"", ["b.conf"] = "\n  include \"a.conf\"" });
        var ex = Assert.Throws<HoconException>(() => HoconParser.Parse("include \"a.conf\"", "main.conf", includes));
        Assert.Equal("b.conf:2:11: include cycle: main.conf -> a.conf -> b.conf -> a.conf", ex.Message);
    }

    [Fact]
    public void Include_ErrorInIncludedText_NamesTheIncludedFile()
    {
        var includes = new MemoryIncludes(new() { ["bad.conf"] = "a = 1\nb = ]" });
        var ex = Assert.Throws<HoconException>(() => HoconParser.Parse("include \"bad.conf\"", "main.conf", includes));
        Assert.Equal(("bad.conf", 2, 5), (ex.SourceName, ex.Line, ex.Column));
    }

    [Fact]
    public void Include_WithoutResolver_IsAnError()
    {
        var ex = Assert.Throws<HoconException>(() => HoconParser.Parse("include \"x.conf\"", "main.conf"));
        Assert.StartsWith("main.conf:1:9: cannot include \"x.conf\"", ex.Message);
    }

    [Theory]
    [InlineData("include url(\"http://x\")", "main.conf:1:9: include url(...) is not supported")]
    [InlineData("include classpath(\"x\")", "main.conf:1:9: include classpath(...) is not supported")]
    [InlineData("include required(\"x\"", "main.conf:1:21: expected ')' to close the include of \"x\", found end of file")]
    [InlineData("include file(x)", "main.conf:1:9: expected a quoted file name after include, found 'file(x)'")]
    public void Include_Malformed_IsAnErrorAtItsPosition(string text, string expectedStart)
    {
        var ex = Assert.Throws<HoconException>(() => HoconParser.Parse(text, "main.conf", new MemoryIncludes([])));
        Assert.StartsWith(expectedStart, ex.Message);
    }
}
