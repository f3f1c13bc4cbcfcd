using System.Text.RegularExpressions;

namespace Haven.Host.Tests;

/// <summary>`haven demo`: the narrated cluster story, its HA VM part, and the daemon tour.</summary>
public sealed class DemoVerbTests
{
    private static readonly string[] DemoVms = ["WEB-1", "WEB-2", "DB-1", "DB-2"];

    [Fact]
    public async Task Demo_Runs_EndsWithEveryVmRunningExactlyOnceOnItsHost()
    {
        var (code, output, error) = await CliRunner.RunAsync("demo");

        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        var end = output[output.IndexOf("The VMs at the end", StringComparison.Ordinal)..];
        foreach (var vm in DemoVms)
        {
            var row = Row(end, vm);
            Assert.Equal("running", row[^3]);
            Assert.Equal(row[^2], row[^1]); // the DC's state names the host whose hypervisor runs it, and only that one
        }
        Assert.NotEqual("n3", Row(end, "DB-1")[^1]); // n3 was fenced: its VMs run on the survivors
        Assert.NotEqual("n3", Row(end, "DB-2")[^1]);
        Assert.Contains("Every VM runs exactly once", output);
        Assert.DoesNotContain("VIOLATION", output);
    }

    [Fact]
    public async Task Demo_HostLost_ItsVmsRestartOnlyAfterTheFenceAndOnceEach()
    {
        var (code, output, _) = await CliRunner.RunAsync("demo");

        Assert.Equal(0, code);
        var lines = output.Split('\n');
        var cut = Array.FindIndex(lines, l => l.StartsWith("2. n3's link is cut", StringComparison.Ordinal));
        var fenced = Array.FindIndex(lines, l => l.Contains("fence device: n3 reads back as OFF", StringComparison.Ordinal));
        var story = Array.FindIndex(lines, l => l.StartsWith("3. ", StringComparison.Ordinal));
        Assert.True(cut > 0 && fenced > cut && story > fenced, output);
        Assert.Contains("DB-1, DB-2 went down with it", lines[fenced]);
        Assert.DoesNotContain(lines[cut..fenced], l => l.Contains("hypervisor starts", StringComparison.Ordinal));
        foreach (var vm in new[] { "DB-1", "DB-2" })
            Assert.Single(lines[fenced..story], l => Regex.IsMatch(l, $@"n[12]: hypervisor starts {vm}\s*$"));
        Assert.Contains(lines, l => l.Contains("haven vm explain DB-1", StringComparison.Ordinal));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"DB-1: stays on n1: score \d+"));
    }

    [Fact]
    public async Task Demo_RunTwice_TellsTheSameClusterStory()
    {
        var first = ClusterPart((await CliRunner.RunAsync("demo")).Out);
        var second = ClusterPart((await CliRunner.RunAsync("demo")).Out);

        Assert.Contains("hypervisor starts", first);
        Assert.Equal(first, second);
    }

    /// <summary>The cells of the last table row for <paramref name="vm"/> in <paramref name="text"/>.</summary>
    private static string[] Row(string text, string vm) =>
        text.Split('\n').Last(l => l.TrimStart().StartsWith(vm + " ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Part 1 without its temporary folder (the daemon tour in part 2 runs on wall-clock time).</summary>
    private static string ClusterPart(string output) =>
        Regex.Replace(output[..output.IndexOf("Part 2:", StringComparison.Ordinal)], @"/\S*haven-demo-\S+", "DIR");
}
