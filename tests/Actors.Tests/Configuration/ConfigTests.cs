using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

public sealed class ConfigTests
{
    private static Config Parse(string text) => HoconParser.Parse(text, "c.conf");

    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("100ms", 100)]
    [InlineData("100 millis", 100)]
    [InlineData("2 minutes", 120_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("250", 250)]
    [InlineData("\"3 seconds\"", 3_000)]
    public void GetDuration_UnitsAndPlainNumbers_Convert(string literal, long expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Parse($"d = {literal}").GetDuration("d"));
    }

    [Fact]
    public void GetDuration_SubMillisecondUnits_Convert()
    {
        Assert.Equal(TimeSpan.FromTicks(15), Parse("d = 1500ns").GetDuration("d"));
        Assert.Equal(TimeSpan.FromTicks(20), Parse("d = 2us").GetDuration("d"));
    }

    [Theory]
    [InlineData("64k", 65_536)]
    [InlineData("1MiB", 1_048_576)]
    [InlineData("10 MB", 10_000_000)]
    [InlineData("2 kB", 2_000)]
    [InlineData("3G", 3L * 1024 * 1024 * 1024)]
    [InlineData("512", 512)]
    [InlineData("1.5k", 1_536)]
    public void GetBytes_UnitsAndPlainNumbers_Convert(string literal, long expected)
    {
        Assert.Equal(expected, Parse($"s = {literal}").GetBytes("s"));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("on", true)]
    [InlineData("yes", true)]
    [InlineData("false", false)]
    [InlineData("off", false)]
    [InlineData("no", false)]
    public void GetBoolean_AllSpellings_Convert(string literal, bool expected)
    {
        Assert.Equal(expected, Parse($"b = {literal}").GetBoolean("b"));
    }

    [Fact]
    public void GetNumbers_FromNumbersAndNumericStrings_Convert()
    {
        var c = Parse("i = 42\nl = 9000000000\nd = 2.5\ns = \"7\"");
        Assert.Equal(42, c.GetInt("i"));
        Assert.Equal(9_000_000_000L, c.GetLong("l"));
        Assert.Equal(2.5, c.GetDouble("d"));
        Assert.Equal(7, c.GetInt("s"));
        Assert.Equal("42", c.GetString("i"));
    }

    [Fact]
    public void GetInt_OutOfRange_NamesPathAndOrigin()
    {
        var ex = Assert.Throws<ConfigException>(() => Parse("l = 9000000000").GetInt("l"));
        Assert.Equal("c.conf:1:5: l: 9000000000 is out of range for a 32-bit whole number", ex.Message);
    }

    [Theory]
    [InlineData("a.x = hello", "a.x", "GetInt", "c.conf:1:7: a.x: expected a whole number, found string \"hello\"")]
    [InlineData("a.x = [1]", "a.x", "GetString", "c.conf:1:7: a.x: expected a string, found list")]
    [InlineData("a.x = 5 parsecs", "a.x", "GetDuration", "c.conf:1:7: a.x: expected a duration such as 5s, 100ms or 2 minutes, found string \"5 parsecs\"")]
    [InlineData("a.x = 5 furlongs", "a.x", "GetBytes", "c.conf:1:7: a.x: expected a size such as 512, 64k, 1MiB or 10 MB, found string \"5 furlongs\"")]
    [InlineData("a.x = maybe", "a.x", "GetBoolean", "c.conf:1:7: a.x: expected a boolean (true/false, on/off, yes/no), found string \"maybe\"")]
    [InlineData("a.x = null", "a.x", "GetString", "c.conf:1:7: a.x: expected a string, found null")]
    [InlineData("a.x = 1", "a.x", "GetConfig", "c.conf:1:7: a.x: expected an object, found number 1")]
    [InlineData("a.x = [1, {}]", "a.x", "GetStringList", "c.conf:1:11: a.x[1]: expected a string, found object")]
    [InlineData("a.x = 1", "a.y", "GetString", "c.conf:1:1: a.y: no setting at this path")]
    [InlineData("a.x = 1", "b", "GetString", "b: no setting at this path")]
    public void Getters_WrongTypeOrMissing_ThrowConfigExceptionWithPathAndOrigin(string text, string path, string getter, string expected)
    {
        var c = Parse(text);
        var method = typeof(Config).GetMethod(getter, [typeof(string)])!;
        var ex = Assert.Throws<System.Reflection.TargetInvocationException>(() => method.Invoke(c, [path]));
        var inner = Assert.IsType<ConfigException>(ex.InnerException);
        Assert.Equal(expected, inner.Message);
    }

    [Fact]
    public void HasPath_NullValueOrMissing_IsFalse()
    {
        var c = Parse("a = null\nb = 1");
        Assert.False(c.HasPath("a"));
        Assert.False(c.HasPath("c.d"));
        Assert.True(c.HasPath("b"));
    }

    [Fact]
    public void WithFallback_MergesObjectsAndTopWins()
    {
        var top = Parse("a { x = 1 }\nb = top");
        var bottom = HoconParser.Parse("a { x = 0, y = 2 }\nb = { z = 1 }\nc = 3", "bottom.conf");
        var c = top.WithFallback(bottom);
        Assert.Equal((1, 2, 3), (c.GetInt("a.x"), c.GetInt("a.y"), c.GetInt("c")));
        Assert.Equal("top", c.GetString("b"));
        Assert.Equal("bottom.conf", c.Origin("a.y").Source);
        Assert.Equal("c.conf", c.Origin("a.x").Source);
    }

    [Fact]
    public void GetConfig_ReturnsSubtreeWithOrigins()
    {
        var sub = Parse("a {\n  b { c = 1 }\n}").GetConfig("a.b");
        Assert.Equal(1, sub.GetInt("c"));
        Assert.Equal(new ConfigOrigin("c.conf", 2, 11), sub.Origin("c"));
    }

    [Fact]
    public void Empty_HasNoKeys()
    {
        Assert.Empty(Config.Empty.Root.Keys);
        Assert.False(Config.Empty.HasPath("a"));
    }

    [Fact]
    public void Paths_Malformed_ThrowConfigException()
    {
        Assert.Throws<ConfigException>(() => Parse("a = 1").GetString("a..b"));
    }
}
