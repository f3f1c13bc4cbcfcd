namespace Haven.Adapters.Tests.Fencing;

/// <summary>An owner-only temporary directory for test agents and scripts, removed on Dispose.</summary>
internal sealed class TempFenceDirectory : IDisposable
{
    public TempFenceDirectory()
    {
        Path = Directory.CreateTempSubdirectory("haven-fence-").FullName;
        System.IO.File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes an executable (mode 0700 unless given) bash script.</summary>
    public string Script(string relative, string body, UnixFileMode? mode = null)
    {
        var path = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        System.IO.File.SetUnixFileMode(path, mode ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
