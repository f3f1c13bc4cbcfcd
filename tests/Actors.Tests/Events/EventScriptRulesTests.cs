using Haven.Actors.Events;

namespace Haven.Actors.Tests.Events;

public sealed class EventScriptRulesTests
{
    private const UnixFileMode Exec = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;   // 0700
    private const UnixFileMode NoExec = UnixFileMode.UserRead | UnixFileMode.UserWrite;                           // 0600
    private const string Dir = "/etc/haven/events.d";

    private static ScriptPlan Plan(params ScriptFile[] files) => EventScriptRules.Plan(Dir, files);

    [Fact]
    public void Plan_ExecutableScripts_RunInNnOrder()
    {
        var plan = Plan(new("60.nfs", Exec), new("10.interfaces", Exec), new("05.system", Exec), new("99.last", Exec));

        Assert.True(plan.IsValid);
        Assert.Equal(["05.system", "10.interfaces", "60.nfs", "99.last"], plan.Scripts.Select(s => s.Name));
        Assert.Equal($"{Dir}/10.interfaces", plan.Scripts[1].Path);
        Assert.Equal(10, plan.Scripts[1].Order);
    }

    [Fact]
    public void Plan_NotExecutable_SkippedWithReason()
    {
        var plan = Plan(new("10.a", Exec), new("20.b", NoExec));

        Assert.Equal(["10.a"], plan.Scripts.Select(s => s.Name));
        var skipped = Assert.Single(plan.Skipped);
        Assert.Equal("20.b", skipped.Name);
        Assert.Contains("not executable", skipped.Reason);
    }

    [Fact]
    public void Plan_NameEndingInTilde_Ignored()
    {
        var plan = Plan(new("10.a", Exec), new("10.a~", Exec));

        Assert.True(plan.IsValid); // the backup does not clash with 10.a
        Assert.Equal(["10.a"], plan.Scripts.Select(s => s.Name));
        Assert.Contains("~", Assert.Single(plan.Skipped).Reason);
    }

    [Theory]
    [InlineData("README")]
    [InlineData("1.short")]
    [InlineData("100.long")]
    [InlineData("ab.letters")]
    [InlineData("10-dash")]
    [InlineData("10.")]
    public void Plan_NameNotNnDotName_Skipped(string name)
    {
        var plan = Plan(new ScriptFile(name, Exec));

        Assert.Empty(plan.Scripts);
        Assert.Equal(name, Assert.Single(plan.Skipped).Name);
        Assert.True(plan.IsValid);
    }

    [Fact]
    public void Plan_DirectoryEntry_Skipped()
    {
        var plan = Plan(new ScriptFile("10.dir", Exec, IsRegularFile: false));

        Assert.Empty(plan.Scripts);
        Assert.Contains("regular file", Assert.Single(plan.Skipped).Reason);
    }

    [Fact]
    public void Plan_TwoExecutableScriptsWithSameNn_RefusedNamingBoth()
    {
        var plan = Plan(new("10.interfaces", Exec), new("10.otherstuff", Exec), new("20.ok", Exec));

        Assert.False(plan.IsValid);
        var error = Assert.Single(plan.Errors);
        Assert.Contains($"{Dir}/10.interfaces", error);
        Assert.Contains($"{Dir}/10.otherstuff", error);
        Assert.Contains("10", error);
    }

    [Fact]
    public void Plan_SameNnButOneDisabled_Valid()
    {
        var plan = Plan(new("10.new", Exec), new("10.old", NoExec));

        Assert.True(plan.IsValid);
        Assert.Equal(["10.new"], plan.Scripts.Select(s => s.Name));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherWrite)]
    public void Plan_ScriptWritableByGroupOrOthers_ThatScriptRefusedNamingFileAndFix_TheOthersRun(UnixFileMode extra)
    {
        var plan = Plan(new("10.ok", Exec), new("20.open", Exec | extra));

        Assert.True(plan.IsValid);
        Assert.Equal(["10.ok"], plan.Scripts.Select(s => s.Name));
        var refusal = Assert.Single(plan.RefusedScripts);
        Assert.Contains($"{Dir}/20.open", refusal);
        Assert.Contains($"chmod go-w {Dir}/20.open", refusal);
        Assert.StartsWith("refused: writable by group or others", plan.Refusals["20.open"]);
    }

    [Fact]
    public void Plan_UntrustedScript_ThatScriptRefusedWithTheReason_TheOthersRun()
    {
        var plan = Plan(new("10.ok", Exec), new ScriptFile("20.theirs", Exec) { Untrusted = $"event script {Dir}/20.theirs is owned by uid 65534, not root" });

        Assert.True(plan.IsValid);
        Assert.Equal(["10.ok"], plan.Scripts.Select(s => s.Name));
        Assert.Equal($"refused: event script {Dir}/20.theirs is owned by uid 65534, not root", plan.Refusals["20.theirs"]);
        Assert.Equal($"event script {Dir}/20.theirs is owned by uid 65534, not root; the other scripts run", Assert.Single(plan.RefusedScripts));
    }

    [Fact]
    public void Plan_ReadableByAll_Accepted()
    {
        var mode = Exec | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute; // 0755

        Assert.True(Plan(new ScriptFile("10.a", mode)).IsValid);
    }

    [Fact]
    public void Events_ArgumentsFollowCtdb()
    {
        Assert.Equal(["init"], new ScriptEvent.Init().Argv.ToArray());
        Assert.Equal(["setup"], new ScriptEvent.Setup().Argv.ToArray());
        Assert.Equal(["startup"], new ScriptEvent.Startup().Argv.ToArray());
        Assert.Equal(["shutdown"], new ScriptEvent.Shutdown().Argv.ToArray());
        Assert.Equal(["monitor"], new ScriptEvent.Monitor().Argv.ToArray());
        Assert.Equal(["startrecovery"], new ScriptEvent.StartRecovery().Argv.ToArray());
        Assert.Equal(["releaseip", "eth0", "10.0.0.5", "24"], new ScriptEvent.ReleaseIp("eth0", "10.0.0.5", 24).Argv.ToArray());
        Assert.Equal(["takeip", "eth1", "10.0.0.6", "16"], new ScriptEvent.TakeIp("eth1", "10.0.0.6", 16).Argv.ToArray());
        Assert.Equal(["updateip", "eth0", "eth1", "10.0.0.7", "24"], new ScriptEvent.UpdateIp("eth0", "eth1", "10.0.0.7", 24).Argv.ToArray());
        Assert.Equal(["ipreallocated"], new ScriptEvent.IpReallocated().Argv.ToArray());
        Assert.Equal(["recovered"], new ScriptEvent.Recovered().Argv.ToArray());
    }

    [Fact]
    public void Events_AreValueEqual()
    {
        Assert.Equal(new ScriptEvent.TakeIp("eth0", "10.0.0.1", 24), new ScriptEvent.TakeIp("eth0", "10.0.0.1", 24));
        Assert.NotEqual<ScriptEvent>(new ScriptEvent.TakeIp("eth0", "10.0.0.1", 24), new ScriptEvent.ReleaseIp("eth0", "10.0.0.1", 24));
    }
}
