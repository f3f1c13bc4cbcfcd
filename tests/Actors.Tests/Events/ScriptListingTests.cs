using System.Collections.Immutable;
using Haven.Actors.Events;

namespace Haven.Actors.Tests.Events;

public sealed class ScriptListingTests
{
    private const UnixFileMode Exec = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode NoExec = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupWritable = Exec | UnixFileMode.GroupWrite;

    private static ScriptListing List(IReadOnlyDictionary<string, ScriptRunRecord>? last, params ScriptFile[] files) =>
        ScriptListing.From(EventScriptRules.Plan("/etc/haven/events.d", files), last ?? ImmutableDictionary<string, ScriptRunRecord>.Empty);

    [Fact]
    public void From_MixedDirectory_EveryEntryInNnOrderWithItsVerdict()
    {
        var listing = List(null,
            new("60.nfs", Exec), new("10.interfaces", Exec), new("10.other", Exec), new("20.off", NoExec),
            new("30.open", GroupWritable), new("50.x~", Exec), new("README", NoExec));

        Assert.Equal(
        [
            "10 10.interfaces True refused: shares 10 with 10.other",
            "10 10.other True refused: shares 10 with 10.interfaces",
            "20 20.off False skipped: not executable (chmod +x to enable it)",
            "30 30.open True refused: writable by group or others (0720)",
            "50 50.x~ True ignored: names ending in '~' are editor backups",
            "60 60.nfs True runs",
            "- README False skipped: not named NN.name (two digits, a dot, a name)",
        ], listing.Entries.Select(e => $"{e.Order?.ToString() ?? "-"} {e.Name} {e.Executable} {e.Status}"));
        Assert.Single(listing.Errors); // the shared NN; the open script is refused alone
    }

    [Fact]
    public void From_LastResults_AttachedByName()
    {
        var at = new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero);
        var last = new Dictionary<string, ScriptRunRecord> { ["60.nfs"] = new("60.nfs", "takeip", 1, false, TimeSpan.FromMilliseconds(40), at) };

        var listing = List(last, new("60.nfs", Exec), new("70.smb", Exec));

        Assert.Equal("takeip", listing.Entries[0].Last?.Event);
        Assert.Equal(1, listing.Entries[0].Last?.ExitCode);
        Assert.Null(listing.Entries[1].Last);
    }

    [Fact]
    public void History_Record_KeepsTheLastResultOfEachScript()
    {
        var history = new EventScriptHistory();
        var at = new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero);
        history.Record(new EventRunResult(new ScriptEvent.Monitor(), [new ScriptResult("10.a", 0, false, TimeSpan.FromSeconds(1), ""), new ScriptResult("20.b", 2, false, TimeSpan.Zero, "")], [], false), at);
        history.Record(new EventRunResult(new ScriptEvent.TakeIp("eth0", "10.0.0.1", 24), [new ScriptResult("10.a", -1, true, TimeSpan.FromSeconds(30), "")], [], true), at.AddMinutes(1));

        Assert.Equal(new ScriptRunRecord("10.a", "takeip", -1, true, TimeSpan.FromSeconds(30), at.AddMinutes(1)), history.Last["10.a"]);
        Assert.Equal(new ScriptRunRecord("20.b", "monitor", 2, false, TimeSpan.Zero, at), history.Last["20.b"]);
    }
}
