using Haven.Actors.Configuration;
using Haven.Adapters.Configuration;

namespace Haven.Adapters.Tests.Configuration;

public sealed class ConfigFilesTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("haven-config-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void Load_FileWithoutSettings_FallsBackToReference()
    {
        var c = ConfigFiles.Load(Write("haven.conf", "# nothing\n"), NoEnvironment);
        Assert.Equal("sqlite", c.GetString("haven.journal.provider"));
        Assert.Empty(HavenConfig.Validate(c));
    }

    [Fact]
    public void Load_IncludesRelativeToTheIncludingFile_AllForms()
    {
        Write("conf.d/common.conf", "haven.cluster.name = prod\ninclude \"logging.conf\"");
        Write("conf.d/logging.conf", "haven.logging.format = json");
        Write("node.conf", "haven.cluster.node-name = n1");
        Write("sbr.conf", "haven.split-brain-resolver.stable-after = 7s");
        var main = Write("haven.conf",
            "include \"conf.d/common.conf\"\ninclude file(\"node.conf\")\ninclude required(file(\"sbr.conf\"))\ninclude \"absent.conf\"");
        var c = ConfigFiles.Load(main, NoEnvironment);
        Assert.Equal(("prod", "json", "n1"), (c.GetString("haven.cluster.name"), c.GetString("haven.logging.format"), c.GetString("haven.cluster.node-name")));
        Assert.Equal(TimeSpan.FromSeconds(7), c.GetDuration("haven.split-brain-resolver.stable-after"));
        Assert.Equal(new ConfigOrigin(Path.Combine(dir, "conf.d", "logging.conf"), 1, 24), c.Origin("haven.logging.format"));
    }

    [Fact]
    public void Load_MissingRequiredInclude_NamesTheLookedForPath()
    {
        var main = Write("haven.conf", "include required(\"gone.conf\")");
        var ex = Assert.Throws<HoconException>(() => ConfigFiles.Load(main, NoEnvironment));
        Assert.Equal($"{main}:1:18: required include \"gone.conf\" not found (looked for {Path.Combine(dir, "gone.conf")})", ex.Message);
    }

    [Fact]
    public void Load_IncludeCycleAcrossFiles_IsAnError()
    {
        Write("a.conf", "include \"b.conf\"");
        Write("b.conf", "include \"a.conf\"");
        var ex = Assert.Throws<HoconException>(() => ConfigFiles.Load(Path.Combine(dir, "a.conf"), NoEnvironment));
        Assert.Contains("include cycle:", ex.Message);
        Assert.StartsWith(Path.Combine(dir, "b.conf") + ":1:9:", ex.Message);
    }

    [Fact]
    public void Load_SyntaxErrorInIncludedFile_NamesThatFile()
    {
        Write("bad.conf", "haven {\n  cluster.name = ]\n}");
        var main = Write("haven.conf", "include \"bad.conf\"");
        var ex = Assert.Throws<HoconException>(() => ConfigFiles.Load(main, NoEnvironment));
        Assert.Equal($"{Path.Combine(dir, "bad.conf")}:2:18: expected a value for 'cluster.name', found ']'", ex.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        var path = Path.Combine(dir, "nope.conf");
        var ex = Assert.Throws<ConfigException>(() => ConfigFiles.Load(path, NoEnvironment));
        Assert.Equal($"configuration file {path} does not exist", ex.Message);
        Assert.Contains("is a directory", Assert.Throws<ConfigException>(() => ConfigFiles.Load(dir, NoEnvironment)).Message);
    }

    [Fact]
    public void Load_EnvironmentSubstitution_UsesTheGivenLookup()
    {
        var main = Write("haven.conf", "haven.cluster.node-name = ${?HAVEN_NODE}\nhaven.control.socket = ${RUNTIME_DIR}\"/haven.sock\"");
        var env = new Dictionary<string, string> { ["HAVEN_NODE"] = "n7", ["RUNTIME_DIR"] = "/run/h" };
        var c = ConfigFiles.Load(main, name => env.GetValueOrDefault(name));
        Assert.Equal(("n7", "/run/h/haven.sock"), (c.GetString("haven.cluster.node-name"), c.GetString("haven.control.socket")));
        var unset = ConfigFiles.Load(Write("other.conf", "haven.cluster.node-name = ${?HAVEN_NODE}"), NoEnvironment);
        Assert.Equal("", unset.GetString("haven.cluster.node-name"));
    }

    [Fact]
    public void Parse_AppendToReferenceList_AndValidate()
    {
        var c = ConfigFiles.Parse("haven.heuristics.addresses += \"192.0.2.9\"\nhaven.heuristics.enabled = on", Path.Combine(dir, "x.conf"), NoEnvironment);
        Assert.Equal(["192.0.2.9"], c.GetStringList("haven.heuristics.addresses"));
        Assert.Empty(HavenConfig.Validate(c));
    }

    [Fact]
    public void LoadValidateFrom_UnknownKey_IsCaughtBeforeSettingsAreBuilt()
    {
        var main = Write("haven.conf", "haven {\n  jounral.provider = memory\n}");
        var problem = Assert.Single(HavenConfig.Validate(ConfigFiles.Load(main, NoEnvironment)));
        Assert.Equal($"{main}:2:22: haven.jounral.provider: unknown key haven.jounral.provider; did you mean haven.journal.provider?", problem.ToString());
    }
}
