using Haven.Actors.Cluster;
using Haven.Adapters.FloatingIps;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Tests.FloatingIps;

/// <summary>Input checks, timeouts and output parsing; no namespace needed (the command prefix stands in for the tools).</summary>
public sealed class LinuxAddressManagerCommandTests : IDisposable
{
    private readonly string marker = Path.Combine(Path.GetTempPath(), $"hvip-marker-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(marker);

    /// <summary>A prefix under which any command at all leaves <see cref="marker"/> behind.</summary>
    private LinuxAddressManager Recording() =>
        new(NullLogger<LinuxAddressManager>.Instance, commandPrefix: ["/bin/sh", "-c", "touch \"$0\"", marker]);

    [Theory]
    [InlineData("10.214.0", 24, "eth0", "dotted-quad")]
    [InlineData("10.214.0.256", 24, "eth0", "dotted-quad")]
    [InlineData("010.214.0.5", 24, "eth0", "dotted-quad")]
    [InlineData("::1", 24, "eth0", "dotted-quad")]
    [InlineData("10.214.0.5 ", 24, "eth0", "dotted-quad")]
    [InlineData("127.0.0.5", 24, "eth0", "loopback")]
    [InlineData("224.0.0.5", 24, "eth0", "multicast")]
    [InlineData("0.0.0.0", 24, "eth0", "unspecified")]
    [InlineData("10.214.0.5", 0, "eth0", "mask 0")]
    [InlineData("10.214.0.5", 33, "eth0", "mask 33")]
    [InlineData("10.214.0.5", 24, "", "is empty")]
    [InlineData("10.214.0.5", 24, "eth0; reboot", "whitespace")]
    [InlineData("10.214.0.5", 24, "eth0/1", "'/'")]
    [InlineData("10.214.0.5", 24, "-hv0", "starts with '-'")]
    [InlineData("10.214.0.5", 24, "averylonginterface", "longer than 15")]
    [InlineData("10.214.0.5", 24, "..", "reserved")]
    public async Task TakeAndRelease_BadInput_RefusedBeforeAnyCommand(string ip, int mask, string iface, string expected)
    {
        var manager = Recording();
        var address = new PublicAddress(ip, mask, iface);

        var take = await Assert.ThrowsAsync<ArgumentException>(() => manager.TakeAsync(address, probe: true, CancellationToken.None));
        var release = await Assert.ThrowsAsync<ArgumentException>(() => manager.ReleaseAsync(address, CancellationToken.None));

        Assert.Contains(expected, take.Message);
        Assert.Contains(expected, release.Message);
        Assert.False(File.Exists(marker), "a command ran although the input was invalid");
    }

    [Fact]
    public async Task HeldOnAsync_ValidInput_DoesRunTheCommand()
    {
        // The counterpart of the test above: the recording prefix really does record a command that runs.
        await Recording().HeldOnAsync("eth0", CancellationToken.None);

        Assert.True(File.Exists(marker));
    }

    [Fact]
    public async Task TakeAsync_HungCommand_FailsAtTheTimeout()
    {
        var manager = new LinuxAddressManager(
            NullLogger<LinuxAddressManager>.Instance,
            commandPrefix: ["/bin/sh", "-c", "sleep 30"],
            commandTimeout: TimeSpan.FromSeconds(1));

        // sleep 30 would succeed after 30 s; finishing within 10 s means the command was killed at its timeout.
        var error = await Assert.ThrowsAsync<AddressCommandException>(
            () => manager.TakeAsync(new PublicAddress("10.214.0.50", 24, "hv0"), probe: true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.True(error.TimedOut);
        Assert.Contains("timed out", error.Message);
    }

    [Fact]
    public async Task ReleaseAsync_HungCommand_FailsAtTheTimeout()
    {
        var manager = new LinuxAddressManager(
            NullLogger<LinuxAddressManager>.Instance,
            commandPrefix: ["/bin/sh", "-c", "sleep 30"],
            commandTimeout: TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<AddressCommandException>(
            () => manager.ReleaseAsync(new PublicAddress("10.214.0.50", 24, "hv0"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.True(error.TimedOut);
    }

    [Fact]
    public async Task TakeAsync_FailingCommand_CarriesItsStderr()
    {
        var manager = new LinuxAddressManager(
            NullLogger<LinuxAddressManager>.Instance,
            commandPrefix: ["/bin/sh", "-c", "echo 'RTNETLINK answers: Operation not permitted' >&2; exit 2"]);

        var error = await Assert.ThrowsAsync<AddressCommandException>(
            () => manager.TakeAsync(new PublicAddress("10.214.0.50", 24, "hv0"), probe: true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains("exit code 2", error.Message);
        Assert.Contains("Operation not permitted", error.Message);
        Assert.False(error.TimedOut);
    }

    [Fact]
    public void Constructor_EmptyPrefixArgument_Refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new LinuxAddressManager(NullLogger<LinuxAddressManager>.Instance, commandPrefix: ["ip", ""]));

        Assert.Contains("command prefix", error.Message);
    }

    [Fact]
    public void ParseAddresses_IpOneLineOutput_ReadsEveryInetAddress()
    {
        const string output = """
            2: hv0    inet 10.214.0.1/24 brd 10.214.0.255 scope global hv0\       valid_lft forever preferred_lft forever
            2: hv0    inet 10.214.0.50/32 scope global hv0\       valid_lft forever preferred_lft forever

            """;

        var held = LinuxAddressManager.ParseAddresses(output, "hv0");

        Assert.Equal([new PublicAddress("10.214.0.1", 24, "hv0"), new PublicAddress("10.214.0.50", 32, "hv0")], held);
    }
}
