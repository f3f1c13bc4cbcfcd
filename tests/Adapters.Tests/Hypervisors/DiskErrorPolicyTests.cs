using System.Xml.Linq;
using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

public sealed class DiskErrorPolicyTests
{
    private const string TwoDisks =
        "<domain type='kvm'><name>vm1</name><devices>" +
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2' error_policy='report'/><source file='/srv/a.qcow2'/><target dev='vda'/></disk>" +
        "<disk type='file' device='disk'><source file='/srv/b.qcow2'/><target dev='vdb'/></disk>" +
        "<interface type='network'><driver name='vhost'/></interface>" +
        "</devices></domain>";

    [Theory]
    [InlineData(DiskErrorPolicyKind.Stop, "stop")]
    [InlineData(DiskErrorPolicyKind.Report, "report")]
    [InlineData(DiskErrorPolicyKind.Ignore, "ignore")]
    [InlineData(DiskErrorPolicyKind.Enospace, "enospace")]
    public void Apply_EveryDisk_DriverCarriesPolicy(DiskErrorPolicyKind policy, string word)
    {
        var result = XDocument.Parse(DiskErrorPolicy.Apply(TwoDisks, policy));

        var disks = result.Root!.Element("devices")!.Elements("disk").ToList();
        Assert.All(disks, d => Assert.Equal(word, d.Element("driver")!.Attribute("error_policy")!.Value));
        Assert.Equal(policy, DiskErrorPolicy.Parse(word));
    }

    [Fact]
    public void Apply_ExistingDriver_KeepsItsOtherAttributes()
    {
        var result = XDocument.Parse(DiskErrorPolicy.Apply(TwoDisks, DiskErrorPolicyKind.Stop));

        var driver = result.Root!.Element("devices")!.Element("disk")!.Element("driver")!;
        Assert.Equal("qemu", driver.Attribute("name")!.Value);
        Assert.Equal("qcow2", driver.Attribute("type")!.Value);
    }

    [Fact]
    public void Apply_DiskWithoutDriver_DriverAddedFirst()
    {
        var result = XDocument.Parse(DiskErrorPolicy.Apply(TwoDisks, DiskErrorPolicyKind.Stop));

        var second = result.Root!.Element("devices")!.Elements("disk").Last();
        Assert.Equal("driver", second.Elements().First().Name.LocalName);
    }

    [Fact]
    public void Apply_NonDiskDevices_Untouched()
    {
        var result = XDocument.Parse(DiskErrorPolicy.Apply(TwoDisks, DiskErrorPolicyKind.Stop));

        Assert.Null(result.Root!.Element("devices")!.Element("interface")!.Element("driver")!.Attribute("error_policy"));
    }

    [Fact]
    public void Apply_Document_OriginalUnchanged()
    {
        var original = XDocument.Parse(TwoDisks);

        _ = DiskErrorPolicy.Apply(original, DiskErrorPolicyKind.Ignore);

        Assert.Equal("report", original.Root!.Element("devices")!.Element("disk")!.Element("driver")!.Attribute("error_policy")!.Value);
    }

    [Theory]
    [InlineData("<domain><name>x</name>", "not well-formed XML")]
    [InlineData("<node/>", "the root element is <node>, expected <domain>")]
    public void Apply_BadXml_ClearError(string xml, string reason)
    {
        var error = Assert.Throws<HypervisorException>(() => DiskErrorPolicy.Apply(xml, DiskErrorPolicyKind.Stop));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownWord_Null()
    {
        Assert.Null(DiskErrorPolicy.Parse("pause"));
    }
}
