using System.Xml.Linq;
using Haven.Actors.Vms;

namespace Haven.Adapters.Hypervisors;

/// <summary>
/// Refuses disk images reached through a symbolic link. Live migration of a VM whose image path went
/// through a symlink on NFS corrupted data (the two hosts resolved the link differently mid-migration),
/// so every <c>&lt;disk&gt;</c>'s <c>&lt;source file=…&gt;</c> — and the files of its backing chain — must
/// be an absolute, normalised path with no symlink in any component, the file itself included. Block
/// devices (<c>source dev=</c>) and network disks are not checked. A component that does not exist ends
/// the walk (a missing image is the hypervisor's error to report).
/// </summary>
public static class DiskImageCheck
{
    /// <summary>One refused disk: its target (e.g. vda), its source file and why.</summary>
    public sealed record Problem(string Disk, string Source, string Reason)
    {
        public override string ToString() => $"disk {Disk} ({Source}): {Reason}";
    }

    /// <summary>Every disk source of <paramref name="domainXml"/> that is refused; empty when all are fine.</summary>
    public static IReadOnlyList<Problem> Problems(XDocument domainXml)
    {
        ArgumentNullException.ThrowIfNull(domainXml);
        var problems = new List<Problem>();
        var disks = domainXml.Root?.Element("devices")?.Elements("disk") ?? [];
        var index = 0;
        foreach (var disk in disks)
        {
            var name = disk.Element("target")?.Attribute("dev")?.Value is { Length: > 0 } dev ? dev : $"#{index + 1}";
            index++;
            foreach (var source in disk.DescendantsAndSelf().Where(e => e.Name == "source"))
            {
                if (source.Attribute("file")?.Value is not { } file)
                {
                    continue;
                }

                if (Refusal(file) is { } reason)
                {
                    problems.Add(new Problem(name, file, reason));
                }
            }
        }

        return problems;
    }

    /// <summary>Throws <see cref="HypervisorException"/> naming the VM, every refused disk and its symlink.</summary>
    public static void Check(string vmName, XDocument domainXml)
    {
        var problems = Problems(domainXml);
        if (problems.Count > 0)
        {
            throw new HypervisorException(
                $"VM {vmName}: refusing disk images reached through symbolic links (live migration of symlinked images corrupted data; use the real path): {string.Join("; ", problems)}");
        }
    }

    /// <summary>Why <paramref name="path"/> is refused, or null when it is an absolute, normalised path without symlinks.</summary>
    public static string? Refusal(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path[0] != '/')
        {
            return "not an absolute path";
        }

        if (path.Split('/').Any(segment => segment is "." or ".."))
        {
            return "the path contains . or .. (give the real, normalised path)";
        }

        var current = "";
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current += "/" + segment;
            if (new FileInfo(current).LinkTarget is { } target)
            {
                return $"{current} is a symbolic link to {target}";
            }

            if (!File.Exists(current) && !Directory.Exists(current))
            {
                return null;
            }
        }

        return null;
    }
}
