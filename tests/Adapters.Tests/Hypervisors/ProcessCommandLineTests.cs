using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

public sealed class ProcessCommandLineTests
{
    [Fact]
    public void Parse_JsonArray_ArgumentsKeptWhole()
    {
        Assert.Equal(["/usr/bin/qemu", "-name", "web one", "$HOME;rm"], ProcessCommandLine.Parse("vm", """ ["/usr/bin/qemu", "-name", "web one", "$HOME;rm"] """));
    }

    [Fact]
    public void Parse_SimpleForm_SplitOnWhitespace()
    {
        Assert.Equal(["sleep", "1000", "x"], ProcessCommandLine.Parse("vm", "  sleep\t1000  x "));
    }

    [Theory]
    [InlineData("sh -c 'sleep 1'", "has quotes or backslashes")]
    [InlineData("   ", "empty command line")]
    [InlineData("[]", "empty command line")]
    [InlineData("[\"\"]", "empty command line")]
    [InlineData("[\"a\", 3]", "not a JSON array of strings")]
    [InlineData("[\"a\"", "not a JSON array of strings")]
    public void Parse_Bad_ClearErrorNamingVm(string config, string reason)
    {
        var error = Assert.Throws<HypervisorException>(() => ProcessCommandLine.Parse("vm7", config));

        Assert.StartsWith("VM vm7: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
