using System.Xml.Linq;
using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

public sealed class DiskImageCheckTests : IDisposable
{
    private readonly TempVmDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static XDocument Domain(params (string Dev, string File)[] disks) => XDocument.Parse(
        "<domain type='kvm'><name>vm1</name><devices>" +
        string.Concat(disks.Select(d => $"<disk type='file' device='disk'><source file='{d.File}'/><target dev='{d.Dev}'/></disk>")) +
        "</devices></domain>");

    [Fact]
    public void Problems_RealFiles_None()
    {
        var a = dir.Write("images/a.qcow2", "");
        var b = dir.Write("images/sub/b.qcow2", "");

        Assert.Empty(DiskImageCheck.Problems(Domain(("vda", a), ("vdb", b))));
    }

    [Fact]
    public void Problems_SymlinkedDirectory_NamesDiskAndLink()
    {
        dir.Write("real/a.qcow2", "");
        var link = dir.File("nfs");
        File.CreateSymbolicLink(link, dir.File("real"));

        var problem = Assert.Single(DiskImageCheck.Problems(Domain(("vda", dir.File("real/a.qcow2")), ("vdb", dir.File("nfs/a.qcow2")))));

        Assert.Equal("vdb", problem.Disk);
        Assert.Equal(dir.File("nfs/a.qcow2"), problem.Source);
        Assert.Equal($"{link} is a symbolic link to {dir.File("real")}", problem.Reason);
    }

    [Fact]
    public void Problems_SymlinkedImageFile_Refused()
    {
        var real = dir.Write("images/a.qcow2", "");
        var link = dir.File("images/current.qcow2");
        File.CreateSymbolicLink(link, real);

        var problem = Assert.Single(DiskImageCheck.Problems(Domain(("vda", link))));

        Assert.Contains($"{link} is a symbolic link", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_DanglingSymlink_Refused()
    {
        var link = dir.File("gone.qcow2");
        File.CreateSymbolicLink(link, dir.File("nowhere.qcow2"));

        Assert.Single(DiskImageCheck.Problems(Domain(("vda", link))));
    }

    [Fact]
    public void Problems_SymlinkedBackingFile_Refused()
    {
        var top = dir.Write("images/top.qcow2", "");
        dir.Write("real/base.qcow2", "");
        File.CreateSymbolicLink(dir.File("base"), dir.File("real"));
        var domain = XDocument.Parse(
            $"<domain><name>vm1</name><devices><disk type='file'><source file='{top}'/>" +
            $"<backingStore type='file'><source file='{dir.File("base/base.qcow2")}'/></backingStore><target dev='sda'/></disk></devices></domain>");

        var problem = Assert.Single(DiskImageCheck.Problems(domain));

        Assert.Equal("sda", problem.Disk);
        Assert.Equal(dir.File("base/base.qcow2"), problem.Source);
    }

    [Theory]
    [InlineData("images/a.qcow2", "not an absolute path")]
    [InlineData("/srv/../etc/a.qcow2", "the path contains . or ..")]
    [InlineData("/srv/./a.qcow2", "the path contains . or ..")]
    public void Refusal_RelativeOrUnnormalisedPath_Refused(string path, string reason)
    {
        Assert.StartsWith(reason, DiskImageCheck.Refusal(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Refusal_MissingFileUnderRealDirectories_Accepted()
    {
        Assert.Null(DiskImageCheck.Refusal(dir.File("not-yet/created.qcow2")));
    }

    [Fact]
    public void Problems_BlockDeviceAndDiskWithoutTarget_DevIgnoredAndUnnamedDiskNumbered()
    {
        dir.Write("real/a.img", "");
        File.CreateSymbolicLink(dir.File("l"), dir.File("real"));
        var domain = XDocument.Parse(
            $"<domain><name>vm1</name><devices><disk type='block'><source dev='{dir.File("l/a.img")}'/><target dev='vda'/></disk>" +
            $"<disk type='file'><source file='{dir.File("l/a.img")}'/></disk></devices></domain>");

        var problem = Assert.Single(DiskImageCheck.Problems(domain));

        Assert.Equal("#2", problem.Disk);
    }

    [Fact]
    public void Check_Refused_ExceptionNamesVmDiskAndLink()
    {
        dir.Write("real/a.qcow2", "");
        File.CreateSymbolicLink(dir.File("nfs"), dir.File("real"));

        var error = Assert.Throws<HypervisorException>(() => DiskImageCheck.Check("vm1", Domain(("vdz", dir.File("nfs/a.qcow2")))));

        Assert.StartsWith("VM vm1: refusing disk images reached through symbolic links", error.Message, StringComparison.Ordinal);
        Assert.Contains($"disk vdz ({dir.File("nfs/a.qcow2")}): {dir.File("nfs")} is a symbolic link", error.Message, StringComparison.Ordinal);
    }
}
