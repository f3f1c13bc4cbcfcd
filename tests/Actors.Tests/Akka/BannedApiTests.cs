using System.Text.RegularExpressions;

namespace Haven.Actors.Tests.Akka;

/// <summary>
/// The source half of the banned-API check for src/Actors (the build half is RS0030 over BannedSymbols.txt):
/// what the analyzer cannot see — an argument's value — and that its allow-list does not rot.
/// </summary>
public sealed partial class BannedApiTests
{
    private static readonly string Actors = Path.Combine(RepoRoot(), "src", "Actors");

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Actors.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Actors.sln above {AppContext.BaseDirectory}");
    }

    private static IEnumerable<(string File, string Text)> Sources() =>
        Directory.EnumerateFiles(Actors, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Path.GetRelativePath(Actors, f), File.ReadAllText(f)));

    [Fact]
    public void PipeTo_InActorCode_AlwaysSaysUseConfigureAwaitTrue()
    {
        var offenders = (from source in Sources()
                         from Match call in PipeToCall().Matches(source.Text)
                         where !call.Value.Contains("useConfigureAwait: true", StringComparison.Ordinal)
                         select $"{source.File}: {call.Value}").ToList();
        Assert.True(offenders.Count == 0,
            "PipeTo continues on the thread pool unless told useConfigureAwait: true (an escape from the simulation loop):\n" +
            string.Join("\n", offenders));
    }

    [Theory]
    [InlineData("task.PipeTo(Self);", false)]
    [InlineData("task.PipeTo(Self, Self, r => new Done(r));", false)]
    [InlineData("task.PipeTo(Self, false);", false)]
    [InlineData("task.PipeTo(Self, useConfigureAwait: true, success: r => new Done(r));", true)]
    public void PipeToCheck_ReadsTheStatement(string statement, bool allowed) =>
        Assert.Equal(allowed, PipeToCall().Match(statement).Value.Contains("useConfigureAwait: true", StringComparison.Ordinal));

    [Fact]
    public void BannedApiAllowList_NamesOnlyExistingFiles_AndTheBuildUsesTheList()
    {
        var sections = AllowListSection().Matches(File.ReadAllText(Path.Combine(Actors, ".editorconfig")))
            .Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(sections);
        Assert.All(sections, file => Assert.True(File.Exists(Path.Combine(Actors, file)), $"allow-listed {file} does not exist"));
        var project = File.ReadAllText(Path.Combine(Actors, "Haven.Actors.csproj"));
        Assert.Contains("Microsoft.CodeAnalysis.BannedApiAnalyzers", project);
        Assert.Contains("<AdditionalFiles Include=\"BannedSymbols.txt\" />", project);
        var banned = File.ReadAllText(Path.Combine(Actors, "BannedSymbols.txt"));
        foreach (var symbol in new[] { "M:System.Threading.Tasks.Task.Delay(", "M:System.Threading.Tasks.Task.Run(", "T:System.Threading.Timer;",
                     "M:System.Threading.Thread.Sleep(", "P:System.DateTime.UtcNow;", "P:System.DateTime.Now;", "M:Akka.Actor.PipeToSupport.PipeTo" })
            Assert.Contains(symbol, banned);
    }

    /// <summary>A PipeTo call up to the end of its statement.</summary>
    [GeneratedRegex(@"\.PipeTo\s*\([^;]*;")]
    private static partial Regex PipeToCall();

    [GeneratedRegex(@"^\[([^\]]+)\]\s*\ndotnet_diagnostic\.RS0030\.severity\s*=\s*none", RegexOptions.Multiline)]
    private static partial Regex AllowListSection();
}
