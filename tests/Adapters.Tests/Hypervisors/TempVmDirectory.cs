namespace Haven.Adapters.Tests.Hypervisors;

/// <summary>A throwaway directory for domain XML, stand-in scripts, state files and pid files; removed on dispose.</summary>
internal sealed class TempVmDirectory : IDisposable
{
    public TempVmDirectory() => Path = Directory.CreateTempSubdirectory("haven-vms-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        var path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
