using Haven.Host.Cli;

namespace Haven.Host.Tests;

/// <summary>Runs `haven` verbs in process and captures what they print.</summary>
internal static class CliRunner
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await HavenCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}

/// <summary>A temporary folder removed when the test ends, with helpers for owner-only config files.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("haven-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string WriteConfig(string name, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, text);
        System.IO.File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>A daemon config whose journal, socket and log live in this folder.</summary>
    public string DaemonConfig(string node = "t1", string provider = "sqlite", string? journalPath = null, string name = "haven.conf") =>
        WriteConfig(name, $$"""
            haven {
              cluster { name = test, node-name = {{node}} }
              journal { provider = {{provider}}, sqlite.path = "{{journalPath ?? File("journal.db")}}" }
              control.socket = "{{File("haven.sock")}}"
              logging { console = off, file.path = "{{File("haven.log")}}" }
            }
            """);

    /// <summary>A one-host daemon config on the simulated transport (node solo of cluster lab), its socket and log here; the journal here unless given.</summary>
    public string SimulatedDaemonConfig(string? journalPath = null, bool console = false) =>
        WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = lab, node-name = solo, transport = simulated }
              journal.sqlite.path = "{{journalPath ?? File("journal.db")}}"
              control.socket = "{{File("haven.sock")}}"
              split-brain-resolver.stable-after = 100ms
              logging { console = {{(console ? "on" : "off")}}, file.path = "{{File("haven.log")}}" }
            }
            """);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
