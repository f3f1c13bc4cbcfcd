using Haven.Actors.Events;

namespace Haven.Adapters.Events;

/// <summary>
/// Link state from sysfs: <c>ROOT/IF/carrier</c> ("1" link, "0" none); when carrier cannot be read (the interface
/// is administratively down, the kernel answers EINVAL) or is missing, <c>operstate</c> decides: "up" and
/// "unknown" (interfaces without carrier detection, e.g. tun) count as link, anything else does not.
/// </summary>
public sealed class SysfsLinkState(string root = "/sys/class/net") : ILinkState
{
    public string Root { get; } = root ?? throw new ArgumentNullException(nameof(root));

    public LinkStatus Check(string interfaceName)
    {
        if (string.IsNullOrEmpty(interfaceName) || interfaceName is "." or ".." || interfaceName.Contains('/') || interfaceName.Length > 15)
            throw new ArgumentException($"'{interfaceName}' is not an interface name", nameof(interfaceName));
        var dir = Path.Combine(Root, interfaceName);
        if (!Directory.Exists(dir)) return new LinkStatus(false, $"no such interface in {Root}");
        var carrier = Read(Path.Combine(dir, "carrier"));
        if (carrier == "1") return new LinkStatus(true, "carrier 1");
        if (carrier == "0") return new LinkStatus(false, "carrier 0");
        var operstate = Read(Path.Combine(dir, "operstate"));
        return operstate switch
        {
            "up" or "unknown" => new LinkStatus(true, $"operstate {operstate}"),
            null => new LinkStatus(false, "neither carrier nor operstate readable"),
            _ => new LinkStatus(false, $"operstate {operstate}"),
        };
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null; // EINVAL on carrier of a down interface, or missing
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
