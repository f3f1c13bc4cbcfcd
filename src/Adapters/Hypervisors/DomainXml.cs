using System.Xml;
using System.Xml.Linq;
using Haven.Actors.Vms;

namespace Haven.Adapters.Hypervisors;

/// <summary>Reads libvirt domain XML; every failure is a <see cref="HypervisorException"/> naming where the XML came from.</summary>
public static class DomainXml
{
    /// <summary>Parses <paramref name="text"/>; the root must be <c>&lt;domain&gt;</c>. DTDs are refused.</summary>
    public static XDocument Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new HypervisorException($"{source}: not well-formed XML: {e.Message}", e);
        }

        if (document.Root?.Name != "domain")
        {
            throw new HypervisorException($"{source}: the root element is <{document.Root?.Name}>, expected <domain>");
        }

        return document;
    }

    /// <summary>Reads and parses the domain XML file of <paramref name="vmName"/>.</summary>
    public static XDocument Load(string vmName, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new HypervisorException($"VM {vmName}: no domain XML file configured");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HypervisorException($"VM {vmName}: cannot read domain XML {path}: {e.Message}", e);
        }

        var document = Parse(text, $"VM {vmName}: domain XML {path}");
        var name = document.Root!.Element("name")?.Value.Trim();
        if (name != vmName)
        {
            throw new HypervisorException($"VM {vmName}: domain XML {path} names the domain \"{name}\"; it must be \"{vmName}\"");
        }

        return document;
    }
}
