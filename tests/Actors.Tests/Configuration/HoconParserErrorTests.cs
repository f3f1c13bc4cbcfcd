using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>Every kind of syntax error, with the exact position and message.</summary>
public sealed class HoconParserErrorTests
{
    [Theory]
    [InlineData("a {\n  b = 1\n]", "haven.conf:3:1: expected '}' or a key, found ']'")]
    [InlineData("a {\n  b = 1\n", "haven.conf:3:1: expected '}' to close the object opened at 1:3, found end of file")]
    [InlineData("a = [1, 2", "haven.conf:1:10: expected ']' to close the array opened at 1:5, found end of file")]
    [InlineData("a = [1, , 2]", "haven.conf:1:9: expected a value or ']' in the array opened at 1:5, found ','")]
    [InlineData("a = [1 : 2]", "haven.conf:1:8: expected ',' or ']' in the array opened at 1:5, found ':'")]
    [InlineData("a = 1,, b = 2", "haven.conf:1:7: expected a key, found ','")]
    [InlineData("a 1", "haven.conf:1:4: expected ':', '=' or '{' after key 'a 1', found end of file")]
    [InlineData("a =\n", "haven.conf:2:1: expected a value for 'a', found end of file")]
    [InlineData("a = }", "haven.conf:1:5: expected a value for 'a', found '}'")]
    [InlineData("url = http://x", "haven.conf:1:11: expected ',' or a newline after the value of 'url', found ':'; quote strings that contain ':'")]
    [InlineData("a = \"abc\nb = 1", "haven.conf:1:5: unterminated string: missing closing '\"' on this line")]
    [InlineData("a = \"x\\qy\"", "haven.conf:1:7: invalid escape '\\q' in string")]
    [InlineData("a = \"\\u12\"", "haven.conf:1:6: invalid escape '\\u': expected four hexadecimal digits")]
    [InlineData("a = \"\"\"never closed", "haven.conf:1:5: unterminated triple-quoted string: missing closing '\"\"\"'")]
    [InlineData("a = ${b", "haven.conf:1:5: unterminated substitution: missing closing '}'")]
    [InlineData("a = ${ }", "haven.conf:1:5: empty substitution: write ${path}")]
    [InlineData("a = ${b..c}", "haven.conf:1:5: invalid substitution ${b..c}: empty key in path 'b..c'")]
    [InlineData("a = $b", "haven.conf:1:5: unexpected '$'; a substitution is written ${path}; quote strings that contain '$'")]
    [InlineData("a = ops@example.com", "haven.conf:1:8: unexpected character '@'; quote strings that contain it")]
    [InlineData("a + 1", "haven.conf:1:3: unexpected '+'; did you mean '+='?")]
    [InlineData("a..b = 1", "haven.conf:1:1: invalid key 'a..b': empty key between dots")]
    [InlineData("  .a = 1", "haven.conf:1:3: invalid key '.a': empty key between dots")]
    [InlineData("[1, 2]", "haven.conf:1:1: the root of a configuration must be an object, found '['")]
    [InlineData("{ a = 1 }\nb = 2", "haven.conf:2:1: expected end of file after the root object's closing '}', found 'b'")]
    [InlineData("a { b = 1 } c", "haven.conf:1:13: unexpected 'c' after the object value of 'a'")]
    [InlineData("a = 1 }", "haven.conf:1:7: expected ',' or a newline after the value of 'a', found '}'")]
    public void Parse_MalformedText_ThrowsWithFileLineColumn(string text, string expected)
    {
        var ex = Assert.Throws<HoconException>(() => HoconParser.Parse(text, "haven.conf"));
        Assert.Equal(expected, ex.Message);
        Assert.Equal("haven.conf", ex.SourceName);
        Assert.Equal(expected, $"{ex.SourceName}:{ex.Line}:{ex.Column}: {ex.Reason}");
    }

    [Fact]
    public void Parse_NestingTooDeep_IsAnErrorNotAStackOverflow()
    {
        var text = "a = " + new string('[', 5000);
        var ex = Assert.Throws<HoconException>(() => HoconParser.Parse(text, "deep.conf"));
        Assert.Contains("nested deeper than", ex.Message);
    }

    [Fact]
    public void Parse_ObjectConcatenatedWithString_IsAnErrorAtTheObject()
    {
        var ex = Assert.Throws<HoconException>(() => HoconParser.Parse("b = x\na = ${b} { c = 1 }", "t.conf"));
        Assert.Equal("t.conf:2:10: cannot concatenate an object with a string \"x\" (written at t.conf:1:5)", ex.Message);
    }
}
