using Haven.Actors.Configuration;
using Haven.Adapters.Configuration;

namespace Haven.Adapters.Tests.Configuration;

/// <summary>Every file in hocon/examples loads and validates cleanly.</summary>
public sealed class ExampleConfigTests
{
    public static TheoryData<string> Examples() => new(ExampleNames());

    private static string[] ExampleNames() =>
        Directory.GetFiles(ExamplesDirectory(), "*.conf").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_LoadsAndValidatesCleanly(string name)
    {
        var config = ConfigFiles.Load(Path.Combine(ExamplesDirectory(), name), _ => null);
        Assert.Empty(HavenConfig.Validate(config));
        HavenSettings.From(config);
    }

    [Fact]
    public void Examples_CoverSingleHostAndThreeHostCluster()
    {
        Assert.Equal(["cluster-common.conf", "node1.conf", "single-host.conf"], ExampleNames());
    }

    [Fact]
    public void Node1Example_CombinesTheSharedFileAndItsOwnSettings()
    {
        var env = new Dictionary<string, string> { ["HAVEN_PG_CONNECTION"] = "Host=pg;Password=secret" };
        var settings = HavenSettings.From(ConfigFiles.Load(Path.Combine(ExamplesDirectory(), "node1.conf"), name => env.GetValueOrDefault(name)));
        Assert.Equal(("prod", "node1", ClusterTransportKind.Corosync), (settings.Cluster.Name, settings.Cluster.NodeName, settings.Cluster.Transport));
        Assert.Equal("Host=pg;Password=secret", settings.Journal.PostgreSqlConnectionString);
        Assert.Equal(["192.0.2.1", "192.0.2.254", "198.51.100.1"], settings.Heuristics.Addresses.ToArray());
        Assert.Equal(TimeSpan.FromMilliseconds(750), settings.Heuristics.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.SplitBrainResolver.StableAfter);
    }

    private static string ExamplesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "hocon", "examples");
            if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"no hocon/examples above {AppContext.BaseDirectory}");
    }
}
