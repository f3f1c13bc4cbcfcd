using System.Xml.Linq;
using Haven.Actors.Vms;

namespace Haven.Adapters.Hypervisors;

/// <summary>What QEMU does when a disk write fails (libvirt's <c>&lt;driver error_policy=…&gt;</c>).</summary>
public enum DiskErrorPolicyKind
{
    /// <summary>Pause the VM (a storage stall is then a paused VM, resumable, not a crashed one).</summary>
    Stop,

    /// <summary>Report the error to the guest.</summary>
    Report,

    /// <summary>Ignore the error.</summary>
    Ignore,

    /// <summary>Pause on ENOSPC only, report other errors.</summary>
    Enospace,
}

/// <summary>Sets <c>error_policy</c> on every disk's <c>&lt;driver&gt;</c> of a libvirt domain XML (adding the element when absent).</summary>
public static class DiskErrorPolicy
{
    /// <summary>The word written in configuration and in the domain XML: stop, report, ignore or enospace.</summary>
    public static string ToXmlValue(DiskErrorPolicyKind policy) => policy switch
    {
        DiskErrorPolicyKind.Stop => "stop",
        DiskErrorPolicyKind.Report => "report",
        DiskErrorPolicyKind.Ignore => "ignore",
        DiskErrorPolicyKind.Enospace => "enospace",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown disk error policy"),
    };

    /// <summary>Parses stop|report|ignore|enospace; null when the word is none of them.</summary>
    public static DiskErrorPolicyKind? Parse(string text) => text switch
    {
        "stop" => DiskErrorPolicyKind.Stop,
        "report" => DiskErrorPolicyKind.Report,
        "ignore" => DiskErrorPolicyKind.Ignore,
        "enospace" => DiskErrorPolicyKind.Enospace,
        _ => null,
    };

    /// <summary>Returns a copy of <paramref name="domainXml"/> where every disk's driver has <c>error_policy</c> = <paramref name="policy"/>.</summary>
    public static XDocument Apply(XDocument domainXml, DiskErrorPolicyKind policy)
    {
        ArgumentNullException.ThrowIfNull(domainXml);
        var copy = new XDocument(domainXml);
        var value = ToXmlValue(policy);
        foreach (var disk in copy.Root?.Element("devices")?.Elements("disk") ?? [])
        {
            var driver = disk.Element("driver");
            if (driver is null)
            {
                driver = new XElement("driver");
                // libvirt's schema puts <driver> first among a disk's children.
                disk.AddFirst(driver);
            }

            driver.SetAttributeValue("error_policy", value);
        }

        return copy;
    }

    /// <summary>The same on XML text; malformed XML is a <see cref="HypervisorException"/>.</summary>
    public static string Apply(string domainXml, DiskErrorPolicyKind policy) =>
        Apply(DomainXml.Parse(domainXml, "domain XML"), policy).ToString(SaveOptions.DisableFormatting);
}
