using System.Globalization;
using Haven.Actors.Events;
using Haven.Actors.Runtime;
using Haven.Adapters.Events;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Events;

public sealed class EventScriptRunnerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly ScriptDirectory _dir = new();
    private readonly VirtualClock _clock = new();
    private readonly CapturingLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private EventScriptRunner Runner() => new(_dir.Path, Timeout, _clock, _log);

    private Task<EventRunResult> Run(ScriptEvent e) => Runner().RunAsync(e, CancellationToken.None).WaitAsync(Bound);

    [Fact]
    public async Task Run_Scripts_RunInNnOrderWithTheEventsArguments()
    {
        _dir.WriteRecorder("50.middle");
        _dir.WriteRecorder("99.last");
        _dir.WriteRecorder("01.first");

        var result = await Run(new ScriptEvent.TakeIp("eth0", "10.0.0.5", 24));

        Assert.True(result.Succeeded);
        Assert.Equal(["01.first", "50.middle", "99.last"], result.Scripts.Select(s => s.Name));
        Assert.Equal(["01.first takeip eth0 10.0.0.5 24", "50.middle takeip eth0 10.0.0.5 24", "99.last takeip eth0 10.0.0.5 24"], _dir.JournalLines);
    }

    [Fact]
    public async Task Run_ArgumentsWithSpacesAndShellCharacters_PassedAsArgvNotThroughAShell()
    {
        _dir.Write("10.args", "for a in \"$@\"; do echo \"[$a]\" >> $JOURNAL; done");

        await Run(new ScriptEvent.UpdateIp("eth0; touch /tmp/pwned", "br 1", "10.0.0.7", 16));

        Assert.Equal(["[updateip]", "[eth0; touch /tmp/pwned]", "[br 1]", "[10.0.0.7]", "[16]"], _dir.JournalLines);
    }

    [Fact]
    public async Task Run_NotExecutableScript_Skipped()
    {
        _dir.WriteRecorder("10.on");
        _dir.WriteRecorder("20.off", ScriptDirectory.NotExecutable);

        var result = await Run(new ScriptEvent.Monitor());

        Assert.Equal(["10.on"], result.Scripts.Select(s => s.Name));
        Assert.Equal(["10.on monitor"], _dir.JournalLines);
        Assert.Contains(Runner().Inspect().Skipped, s => s.Name == "20.off");
    }

    [Fact]
    public async Task Run_NameEndingInTilde_Ignored()
    {
        _dir.WriteRecorder("10.on");
        _dir.WriteRecorder("10.on~");
        _dir.WriteRecorder("20.other~");

        var result = await Run(new ScriptEvent.Monitor());

        Assert.True(result.Succeeded);
        Assert.Equal(["10.on monitor"], _dir.JournalLines);
    }

    [Fact]
    public async Task Run_DuplicateNn_RefusedNamingBothAndNothingRuns()
    {
        _dir.WriteRecorder("05.fine");
        var a = _dir.WriteRecorder("10.interfaces");
        var b = _dir.WriteRecorder("10.otherstuff");

        var result = await Run(new ScriptEvent.Startup());

        Assert.False(result.Succeeded);
        Assert.Empty(result.Scripts);
        Assert.Empty(_dir.JournalLines);
        var error = Assert.Single(result.Errors);
        Assert.Contains(a, error);
        Assert.Contains(b, error);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(a, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherWrite)]
    public async Task Run_ScriptWritableByGroupOrOthers_ThatScriptRefusedWithTheFix_TheOthersRun(UnixFileMode extra)
    {
        _dir.WriteRecorder("05.fine");
        var open = _dir.WriteRecorder("10.open", ScriptDirectory.Executable | extra);
        _dir.WriteRecorder("20.later");

        var result = await Run(new ScriptEvent.Monitor());

        Assert.True(result.Succeeded);
        Assert.Equal(["05.fine", "20.later"], result.Scripts.Select(s => s.Name));
        Assert.Contains($"chmod go-w {open}", Assert.Single(Runner().Inspect().RefusedScripts));
    }

    [Fact]
    public async Task Run_ScriptOwnedByAnotherUser_ThatScriptRefused_TheOthersRun()
    {
        _dir.WriteRecorder("05.fine");
        var theirs = _dir.WriteRecorder("10.theirs");
        Haven.Adapters.Tests.Configuration.FileTrustTests.Chown(theirs, 65534);

        var result = await Run(new ScriptEvent.Monitor());

        Assert.True(result.Succeeded);
        Assert.Equal(["05.fine monitor"], _dir.JournalLines);
        Assert.Contains($"event script {theirs} is owned by uid 65534", Assert.Single(Runner().Inspect().RefusedScripts));
    }

    [Fact]
    public async Task Run_ScriptsDirectoryOthersMayWrite_EveryScriptRefused()
    {
        var script = _dir.WriteRecorder("05.fine");
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)Convert.ToInt32("777", 8));

        var result = await Run(new ScriptEvent.Monitor());

        Assert.Empty(result.Scripts);
        Assert.Empty(_dir.JournalLines);
        Assert.Contains($"event script {script}: its directory {_dir.Path} is writable by group or others", Assert.Single(Runner().Inspect().RefusedScripts));
    }

    [Fact]
    public async Task Run_HugeOutputWithoutANewline_ReadInBoundedPieces_ResultKeepsTheFirst64KiB()
    {
        _dir.Write("10.flood", "head -c 33554432 /dev/zero | tr '\\0' x\necho\necho after >&2");
        var runner = new EventScriptRunner(_dir.Path, Timeout, _clock, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        var result = await runner.RunAsync(new ScriptEvent.Monitor(), CancellationToken.None).WaitAsync(Bound);

        var script = Assert.Single(result.Scripts);
        Assert.True(script.Succeeded, script.Output.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(script.Output.Length, 64 * 1024, 64 * 1024 + 4097); // 32 MiB printed, one line: kept in 4096-character pieces up to the limit
        Assert.Equal(new string('x', 4096), script.Output.Split('\n')[0]);
    }

    [Fact]
    public async Task Run_Output_CapturedFromStdoutAndStderrIntoResultAndLog()
    {
        _dir.Write("10.talk", "echo to-stdout\necho to-stderr >&2\nexit 3");

        var result = await Run(new ScriptEvent.Recovered());

        var script = Assert.Single(result.Scripts);
        Assert.Equal(3, script.ExitCode);
        Assert.False(script.TimedOut);
        Assert.Contains("to-stdout\n", script.Output);
        Assert.Contains("to-stderr\n", script.Output);
        Assert.Contains(_log.Entries, e => e.Message.Contains("to-stderr", StringComparison.Ordinal) && e.Message.Contains("10.talk", StringComparison.Ordinal));
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("exit code 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_MonitorScriptFails_StopsTheRemainingScripts()
    {
        _dir.WriteRecorder("10.before");
        _dir.Write("20.broken", "exit 1");
        _dir.WriteRecorder("30.after");

        var result = await Run(new ScriptEvent.Monitor());

        Assert.False(result.Succeeded);
        Assert.True(result.Stopped);
        Assert.Equal("20.broken", result.FirstFailure?.Name);
        Assert.Equal(["10.before monitor"], _dir.JournalLines);
    }

    [Fact]
    public async Task Run_ShutdownScriptFails_RunsTheRemainingScriptsAnyway()
    {
        _dir.Write("20.broken", "exit 1");
        _dir.WriteRecorder("30.after");

        var result = await Run(new ScriptEvent.Shutdown());

        Assert.False(result.Succeeded);
        Assert.False(result.Stopped);
        Assert.Equal(["30.after shutdown"], _dir.JournalLines);
    }

    [Fact]
    public async Task Run_MissingDirectory_NoScriptsAndSuccess()
    {
        var runner = new EventScriptRunner(Path.Combine(_dir.Path, "absent"), Timeout, _clock, _log);

        var result = await runner.RunAsync(new ScriptEvent.Monitor(), CancellationToken.None).WaitAsync(Bound);

        Assert.True(result.Succeeded);
        Assert.Empty(result.Scripts);
    }

    [Fact]
    public async Task Run_ScriptHangs_TimeoutKillsItsWholeProcessGroup()
    {
        _dir.Write("10.hang", "sleep 1000 &\necho \"child $!\"\necho \"script $$\"\necho ready\nwait");
        _dir.WriteRecorder("20.after");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _log.OnMessage = m => { if (m.EndsWith(": ready", StringComparison.Ordinal)) ready.TrySetResult(); };

        var run = Runner().RunAsync(new ScriptEvent.Monitor(), CancellationToken.None);
        await ready.Task.WaitAsync(Bound);
        Assert.False(run.IsCompleted);
        _clock.Advance(Timeout);
        var result = await run.WaitAsync(Bound);

        var script = Assert.Single(result.Scripts);
        Assert.True(script.TimedOut);
        Assert.Equal(-1, script.ExitCode);
        Assert.Equal(Timeout, script.Duration);
        Assert.True(result.Stopped);
        Assert.Empty(_dir.JournalLines);
        var child = Pid(script.Output, "child");
        var shell = Pid(script.Output, "script");
        Assert.NotEqual(child, shell);
        Assert.True(Gone(shell), $"script {shell} still alive");
        Assert.True(Gone(child), $"child {child} still alive");
    }

    [Fact]
    public async Task Run_ScriptHangs_TimeoutAlsoKillsChildrenThatLeftTheGroupWithSetsidOrADoubleFork()
    {
        // a child in a session of its own, and a grandchild in a session of its own whose parent exited (adopted by init)
        _dir.Write("10.escape", "setsid sleep 1000 &\necho \"escaped $!\"\nsh -c 'setsid sleep 1000 & echo \"orphan $!\"'\necho ready\nwait");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _log.OnMessage = m => { if (m.EndsWith(": ready", StringComparison.Ordinal)) ready.TrySetResult(); };

        var run = Runner().RunAsync(new ScriptEvent.Monitor(), CancellationToken.None);
        await ready.Task.WaitAsync(Bound);
        _clock.Advance(Timeout);
        var result = await run.WaitAsync(Bound);

        var script = Assert.Single(result.Scripts);
        Assert.True(script.TimedOut);
        var escaped = Pid(script.Output, "escaped");
        var orphan = Pid(script.Output, "orphan");
        try
        {
            Assert.True(Gone(escaped), $"the setsid child {escaped} still alive");
            Assert.True(Gone(orphan), $"the double-forked setsid grandchild {orphan} still alive");
        }
        finally
        {
            foreach (var pid in new[] { escaped, orphan })
                try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }

    [Fact]
    public async Task Run_Cancelled_KillsTheScriptsGroupAndThrows()
    {
        _dir.Write("10.hang", "sleep 1000 &\necho \"child $!\"\necho ready\nwait");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var childPid = 0;
        _log.OnMessage = m =>
        {
            if (m.Contains(": child ", StringComparison.Ordinal)) childPid = int.Parse(m[(m.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            if (m.EndsWith(": ready", StringComparison.Ordinal)) ready.TrySetResult();
        };
        using var cancel = new CancellationTokenSource();

        var run = Runner().RunAsync(new ScriptEvent.Monitor(), cancel.Token);
        await ready.Task.WaitAsync(Bound);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Bound));
        Assert.NotEqual(0, childPid);
        Assert.True(Gone(childPid), $"child {childPid} still alive");
    }

    private static int Pid(string output, string label) =>
        int.Parse(output.Split('\n').Single(l => l.StartsWith(label + " ", StringComparison.Ordinal))[(label.Length + 1)..], CultureInfo.InvariantCulture);

    /// <summary>True once <paramref name="pid"/> no longer exists or is a zombie (dead, waiting for its parent); bounded.</summary>
    private static bool Gone(int pid)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var spin = new SpinWait();
        while (true)
        {
            string? stat = null;
            try
            {
                stat = File.ReadAllText($"/proc/{pid}/stat");
            }
            catch (IOException)
            {
                // gone
            }

            if (stat is null || stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) return true;
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > Bound) return false;
            spin.SpinOnce();
        }
    }
}
