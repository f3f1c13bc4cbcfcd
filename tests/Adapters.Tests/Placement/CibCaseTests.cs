using System.Runtime.CompilerServices;
using Haven.Actors.Placement;
using Haven.Adapters.Placement;

namespace Haven.Adapters.Tests.Placement;

/// <summary>Every case in tests/cib-cases: the CIB read, planned and printed as Pacemaker's Transition Summary equals NAME.summary.</summary>
public sealed class CibCaseTests
{
    private static string CasesDir([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "cib-cases"));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var xml in Directory.GetFiles(CasesDir(), "*.xml").Order(StringComparer.Ordinal)) data.Add(Path.GetFileNameWithoutExtension(xml));
        return data;
    }

    /// <summary>The summary for a case, as `haven simulate --cib FILE --summary` prints it.</summary>
    internal static string Summary(string path)
    {
        var model = CibReader.ReadModelFile(path);
        var plan = PlacementEngine.Plan(model.Input);
        var lines = model.Summary(plan);
        return string.Join("\n", ["Transition Summary:", .. lines]) + "\n";
    }

    [Fact]
    public void Corpus_HasCasesEachWithAnExpectedSummary()
    {
        var cases = Directory.GetFiles(CasesDir(), "*.xml");
        Assert.True(cases.Length >= 10, $"only {cases.Length} cases in {CasesDir()}");
        Assert.All(cases, c => Assert.True(File.Exists(Path.ChangeExtension(c, ".summary")), $"{c} has no .summary"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_SummaryMatchesExpected(string name)
    {
        var dir = CasesDir();
        var expected = File.ReadAllText(Path.Combine(dir, name + ".summary"));

        Assert.Equal(expected, Summary(Path.Combine(dir, name + ".xml")));
    }
}
