using Haven.Adapters.Events;

namespace Haven.Adapters.Tests.Events;

public sealed class SysfsLinkStateTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("haven-sysfs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Interface(string name, string? carrier, string? operstate)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        if (carrier is not null) File.WriteAllText(Path.Combine(dir, "carrier"), carrier + "\n");
        if (operstate is not null) File.WriteAllText(Path.Combine(dir, "operstate"), operstate + "\n");
    }

    [Theory]
    [InlineData("1", "up", true, "carrier 1")]
    [InlineData("0", "down", false, "carrier 0")]
    [InlineData(null, "down", false, "operstate down")]
    [InlineData(null, "unknown", true, "operstate unknown")]
    [InlineData(null, null, false, "neither carrier nor operstate readable")]
    public void Check_CarrierThenOperstate_Decide(string? carrier, string? operstate, bool up, string detail)
    {
        Interface("eth0", carrier, operstate);

        var link = new SysfsLinkState(_root).Check("eth0");

        Assert.Equal(up, link.Up);
        Assert.Equal(detail, link.Detail);
    }

    [Fact]
    public void Check_MissingInterface_NoLinkNamingTheRoot()
    {
        var link = new SysfsLinkState(_root).Check("eth9");

        Assert.False(link.Up);
        Assert.Contains(_root, link.Detail);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("eth0/../x")]
    public void Check_NotAnInterfaceName_Refused(string name)
    {
        Assert.Throws<ArgumentException>(() => new SysfsLinkState(_root).Check(name));
    }

    [Fact]
    public void Check_RealLoopback_HasLink()
    {
        Assert.True(new SysfsLinkState().Check("lo").Up);
    }
}
