using Haven.Actors.Configuration;
using Haven.Actors.Vms;
using Haven.Adapters.Configuration;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

public sealed class HypervisorSettingsTests
{
    private static Config Parse(string text) => ConfigFiles.Parse(text, "haven.conf", _ => null);

    [Fact]
    public void Read_NothingSet_ReferenceDefaults()
    {
        var settings = HypervisorSettings.Read(Parse(""));

        Assert.Equal(new LibvirtOptions { Uri = "qemu:///system", MigrateUri = "qemu+ssh://{node}/system", DiskErrorPolicy = DiskErrorPolicyKind.Stop }, settings.Libvirt);
        Assert.Equal("/usr/bin/xe", settings.Xen.Xe);
        Assert.Equal("/usr/sbin/vzctl", settings.OpenVz.Vzctl);
        Assert.Equal("/var/lib/haven/vms", settings.Process.StateDirectory);
    }

    [Fact]
    public void Read_EverythingSet_Taken()
    {
        var settings = HypervisorSettings.Read(Parse("""
            haven.vms.hypervisors {
              libvirt { uri = "qemu+tcp://localhost/system", migrate-uri = "qemu+tls://{node}.example/system", disk-error-policy = enospace }
              xen.xe = "/opt/xensource/bin/xe"
              openvz.vzctl = "/usr/local/sbin/vzctl"
              process.state-dir = "/run/haven/vms"
            }
            """));

        Assert.Equal(new LibvirtOptions { Uri = "qemu+tcp://localhost/system", MigrateUri = "qemu+tls://{node}.example/system", DiskErrorPolicy = DiskErrorPolicyKind.Enospace }, settings.Libvirt);
        Assert.Equal("/opt/xensource/bin/xe", settings.Xen.Xe);
        Assert.Equal("/usr/local/sbin/vzctl", settings.OpenVz.Vzctl);
        Assert.Equal("/run/haven/vms", settings.Process.StateDirectory);
    }

    [Theory]
    [InlineData("libvirt.uri = \"  \"", "haven.vms.hypervisors.libvirt.uri: must not be empty")]
    [InlineData("libvirt.migrate-uri = \"qemu+ssh://n2/system\"", "haven.vms.hypervisors.libvirt.migrate-uri: \"qemu+ssh://n2/system\" must contain {node}")]
    [InlineData("libvirt.disk-error-policy = pause", "haven.vms.hypervisors.libvirt.disk-error-policy: \"pause\" is not one of stop, report, ignore, enospace")]
    [InlineData("xen.xe = xe", "haven.vms.hypervisors.xen.xe: \"xe\" must be an absolute path")]
    [InlineData("openvz.vzctl = \"\"", "haven.vms.hypervisors.openvz.vzctl: must not be empty")]
    [InlineData("process.state-dir = \"var/lib/haven\"", "haven.vms.hypervisors.process.state-dir: \"var/lib/haven\" must be an absolute path")]
    public void Read_BadValue_ErrorNamesKeyAndWhere(string line, string message)
    {
        var error = Assert.Throws<ConfigException>(() => HypervisorSettings.Read(Parse("haven.vms.hypervisors." + line)));

        Assert.StartsWith("haven.conf:1:", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownKeyOrBadPolicy_ReportedByTheSchema()
    {
        var problems = HavenConfig.Validate(Parse("haven.vms.hypervisors { xen.xee = \"/usr/bin/xe\", libvirt.disk-error-policy = pause }"));

        Assert.Contains(problems, p => p.Path == "haven.vms.hypervisors.xen.xee");
        Assert.Contains(problems, p => p.Path == "haven.vms.hypervisors.libvirt.disk-error-policy");
    }

    [Fact]
    public void Validate_Defaults_NoProblems()
    {
        Assert.Empty(HavenConfig.Validate(Parse("haven.vms.hypervisors.process.state-dir = \"/tmp/vms\"")));
    }

    [Fact]
    public void Registry_FromConfig_EveryKindBuiltOnDemand()
    {
        using var registry = HypervisorRegistry.FromConfig(Parse("haven.vms.hypervisors.process.state-dir = \"/tmp/haven-vms-registry\""));

        Assert.Equal(["libvirt", "openvz", "process", "xen"], registry.Kinds);
        Assert.All(registry.Kinds, kind => Assert.Equal(kind, registry.Get(kind).Kind));
        Assert.IsType<ProcessHypervisor>(registry.For(new VmDefinition("vm1", "process", "sleep 1")));
    }

    [Fact]
    public void Registry_UnknownKind_ErrorNamesVmAndKnownKinds()
    {
        using var registry = HypervisorRegistry.FromConfig(Parse(""));

        var error = Assert.Throws<HypervisorException>(() => registry.For(new VmDefinition("vm1", "vmware", "x")));

        Assert.Equal("VM vm1: unknown hypervisor \"vmware\" (known: libvirt, openvz, process, xen)", error.Message);
    }

    [Fact]
    public void Registry_FromBadConfig_ConfigException()
    {
        Assert.Throws<ConfigException>(() => HypervisorRegistry.FromConfig(Parse("haven.vms.hypervisors.xen.xe = relative/xe")));
    }
}
