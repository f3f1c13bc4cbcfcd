using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;
using Haven.Adapters.Tests.Configuration;

namespace Haven.Adapters.Tests.Hypervisors;

/// <summary>
/// A hypervisor tool (xe, vzctl) runs as root: one that FileTrust does not trust — writable by others, owned by another
/// user, in a directory others may write — is refused naming its setting and its path, and never run.
/// </summary>
public sealed class HypervisorToolTrustTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string directory = Directory.CreateTempSubdirectory("haven-tooltrust-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Ran => Path.Combine(directory, "ran");

    /// <summary>The tool in its own owner-only directory; it leaves a mark when it runs.</summary>
    private (string Tool, string Dir) Tool(string name)
    {
        var dir = Path.Combine(directory, "bin");
        Directory.CreateDirectory(dir, OwnerOnly);
        var tool = Path.Combine(dir, name);
        var answer = name == "xe" ? "running" : "CTID 101 exist mounted running";
        File.WriteAllText(tool, $"#!/bin/sh\ntouch '{Ran}'\necho '{answer}'\n");
        File.SetUnixFileMode(tool, OwnerOnly);
        return (tool, dir);
    }

    private static IHypervisor Hypervisor(string name, string tool) => name == "xe"
        ? new XenHypervisor(new XenOptions { Xe = tool })
        : new OpenVzHypervisor(new OpenVzOptions { Vzctl = tool });

    private static VmDefinition Vm(string name) => name == "xe" ? new("web", "xen", "web") : new("ct101", "openvz", "101");

    private static string Key(string name) => name == "xe" ? "haven.vms.hypervisors.xen.xe" : "haven.vms.hypervisors.openvz.vzctl";

    [Theory]
    [InlineData("xe")]
    [InlineData("vzctl")]
    public async Task Status_TrustedTool_Runs(string name)
    {
        var (tool, _) = Tool(name);

        var status = await Hypervisor(name, tool).StatusAsync(Vm(name), CancellationToken.None);

        Assert.Equal(VmPowerState.Running, status.State);
        Assert.True(File.Exists(Ran), "the trusted tool did not run");
    }

    [Theory]
    [InlineData("xe", "world-writable")]
    [InlineData("xe", "another owner")]
    [InlineData("xe", "group-writable directory")]
    [InlineData("vzctl", "world-writable")]
    [InlineData("vzctl", "another owner")]
    [InlineData("vzctl", "group-writable directory")]
    public async Task Status_UntrustedTool_RefusedNamingTheSettingAndTheFile_NotRun(string name, string how)
    {
        var (tool, dir) = Tool(name);
        var expected = how switch
        {
            "world-writable" => Degrade(() => File.SetUnixFileMode(tool, OwnerOnly | UnixFileMode.OtherWrite),
                $"{Key(name)} {tool} is writable by group or others (mode 0702)"),
            "another owner" => Degrade(() => FileTrustTests.Chown(tool, 65534), $"{Key(name)} {tool} is owned by uid 65534"),
            _ => Degrade(() => File.SetUnixFileMode(dir, OwnerOnly | UnixFileMode.GroupWrite),
                $"{Key(name)} {tool}: its directory {dir} is writable by group or others (mode 0720)"),
        };

        var error = await Assert.ThrowsAsync<HypervisorException>(() => Hypervisor(name, tool).StatusAsync(Vm(name), CancellationToken.None));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("refusing to trust it", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Ran), "the untrusted tool ran");
    }

    private static string Degrade(Action degrade, string expected)
    {
        degrade();
        return expected;
    }
}
