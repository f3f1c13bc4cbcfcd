using System.Xml.Linq;

namespace Haven.Host.Cli;

/// <summary>
/// What `haven vm add` checks on this host before it registers a libvirt VM: the domain XML file exists,
/// is a regular file reached without symlinks, and so is every disk image it names (seed 003: live
/// migration of symlinked NFS images corrupted data).
/// </summary>
internal static class VmConfigChecks
{
    /// <summary>Null when usable, else what is wrong (naming the path).</summary>
    public static string? CheckLibvirt(string config)
    {
        if (ThroughSymlink(config) is { } bad) return bad;
        if (!File.Exists(config)) return $"the domain XML '{config}' does not exist";
        XDocument xml;
        try
        {
            xml = XDocument.Load(config);
        }
        catch (Exception e) when (e is System.Xml.XmlException or IOException or UnauthorizedAccessException)
        {
            return $"the domain XML '{config}' cannot be read: {e.Message}";
        }
        foreach (var source in xml.Descendants("disk").Elements("source"))
        {
            if (source.Attribute("file")?.Value is not { Length: > 0 } image) continue;
            if (ThroughSymlink(image) is { } link) return $"disk image of '{config}': {link}";
            if (!File.Exists(image)) return $"disk image '{image}' named in '{config}' does not exist";
        }
        return null;
    }

    /// <summary>Null when neither the file nor any folder on its path is a symlink.</summary>
    public static string? ThroughSymlink(string path)
    {
        var full = Path.GetFullPath(path);
        var current = Path.GetPathRoot(full) ?? "/";
        foreach (var part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new FileInfo(current);
            if (info.LinkTarget is { } target)
                return $"'{path}' is reached through the symlink '{current}' → '{target}'; give the real path";
        }
        return null;
    }
}
