namespace Haven.Host.Tests;

public class CliTests
{
    [Fact]
    public async Task Cli_UnknownVerb_ExitsWithUsageError()
    {
        var (code, _, err) = await CliRunner.RunAsync("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("frobnicate", err);
        Assert.Contains("haven --help", err);
    }

    [Fact]
    public async Task Cli_UnknownOption_ExitsWithUsageError()
    {
        var (code, _, err) = await CliRunner.RunAsync("status", "--colour");
        Assert.Equal(2, code);
        Assert.Contains("--colour", err);
    }

    [Fact]
    public async Task Cli_BadOptionValue_ExitsWithUsageError()
    {
        var (code, _, err) = await CliRunner.RunAsync("events", "--limit", "0");
        Assert.Equal(2, code);
        Assert.Contains("--limit must be 1 or more", err);
    }

    [Fact]
    public async Task Cli_Help_ListsEveryVerbAndSucceeds()
    {
        var (code, output, _) = await CliRunner.RunAsync("--help");
        Assert.Equal(0, code);
        foreach (var verb in new[] { "daemon", "status", "events", "config", "demo" }) Assert.Contains(verb, output);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("events")]
    public async Task Verb_NoDaemonListening_SaysSoAndExits1(string verb)
    {
        using var dir = new TempDir();
        var socket = dir.File("nobody.sock");
        var (code, output, err) = await CliRunner.RunAsync(verb, "--socket", socket);
        Assert.Equal(1, code);
        Assert.Equal($"haven: no haven daemon at {socket}", err.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Verb_StaleSocketFileWithNoListener_SaysNoDaemon()
    {
        using var dir = new TempDir();
        var socket = dir.File("stale.sock");
        File.WriteAllText(socket, "");
        var (code, _, err) = await CliRunner.RunAsync("status", "--socket", socket);
        Assert.Equal(1, code);
        Assert.Contains("no haven daemon at", err);
    }
}
