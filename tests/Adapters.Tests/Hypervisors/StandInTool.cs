namespace Haven.Adapters.Tests.Hypervisors;

/// <summary>
/// A stand-in for a hypervisor CLI (xe, vzctl): a bash script in a temp directory that appends its argv
/// (joined by '|') to "calls", hangs when a "hang" file exists, fails with the text of "fail-VERB" on
/// stderr (exit 1) when that file exists, and otherwise runs the given case branches against "state".
/// </summary>
internal sealed class StandInTool : IDisposable
{
    private readonly TempVmDirectory dir = new();

    public StandInTool(string name, string branches)
    {
        Path = dir.Write(name, $$"""
            #!/bin/bash
            D='{{dir.Path}}'
            (IFS='|'; printf '%s\n' "$*") >> "$D/calls"
            if [ -f "$D/hang" ]; then exec sleep 60; fi
            if [ -f "$D/fail-$1" ]; then cat "$D/fail-$1" >&2; exit 1; fi
            case "$1" in
            {{branches}}
              *) echo "unknown verb $1" >&2; exit 2 ;;
            esac
            """);
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Path { get; }

    public string State
    {
        get => File.Exists(dir.File("state")) ? File.ReadAllText(dir.File("state")).Trim() : "";
        set => File.WriteAllText(dir.File("state"), value + "\n");
    }

    public IReadOnlyList<string> Calls => File.Exists(dir.File("calls")) ? File.ReadAllLines(dir.File("calls")) : [];

    public void FailNext(string verb, string stderr) => File.WriteAllText(dir.File($"fail-{verb}"), stderr);

    public void Hang() => File.WriteAllText(dir.File("hang"), "");

    public void Dispose() => dir.Dispose();
}
