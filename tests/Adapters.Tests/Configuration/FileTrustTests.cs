using System.Runtime.InteropServices;
using Haven.Actors.Configuration;
using Haven.Adapters.Configuration;

namespace Haven.Adapters.Tests.Configuration;

/// <summary>
/// FileTrust, the one rule for files the daemon reads as configuration or runs, on real files and directories:
/// chown to nobody, open modes, sticky directories, links, devices. The tests run as root, as the daemon does.
/// </summary>
public sealed class FileTrustTests : IDisposable
{
    private const uint Nobody = 65534;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _dir = Directory.CreateTempSubdirectory("haven-trust-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int NativeChown(string path, uint owner, uint group);

    /// <summary>chown PATH to uid (group unchanged); the test fails if that is not possible (not root).</summary>
    internal static void Chown(string path, uint uid) =>
        Assert.True(NativeChown(path, uid, uint.MaxValue) == 0, $"chown {path} {uid} failed (errno {Marshal.GetLastPInvokeError()}); these tests run as root");

    private string File(string relative, string text = "x = 1\n", UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, OwnerOnly);
        System.IO.File.WriteAllText(path, text);
        System.IO.File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void Problem_RootsFileInRootsDirectories_Trusted() => Assert.Null(FileTrust.Problem(File("a.conf"), "config file"));

    [Fact]
    public void Problem_SystemProgramThroughALinkedDirectory_Trusted() => Assert.Null(FileTrust.Problem("/bin/sh", "program")); // /bin → usr/bin on Debian

    [Fact]
    public void Problem_FileOwnedByAnotherUser_RefusedNamingOwnerAndFix()
    {
        var path = File("theirs.conf");
        Chown(path, Nobody);
        Assert.Equal($"config file {path} is owned by uid {Nobody}, not root; refusing to trust it (chown root {path})", FileTrust.Problem(path, "config file"));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupWrite, "0620")]
    [InlineData(UnixFileMode.OtherWrite, "0602")]
    public void Problem_FileWritableByGroupOrOthers_RefusedWithTheMode(UnixFileMode extra, string octal)
    {
        var path = File("open.conf", mode: UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);
        Assert.Equal($"config file {path} is writable by group or others (mode {octal}); refusing to trust it (chmod go-w {path})", FileTrust.Problem(path, "config file"));
    }

    [Fact]
    public void Problem_DirectoryOthersMayWrite_RefusedNamingTheDirectory()
    {
        var path = File("open/script");
        var dir = Path.GetDirectoryName(path)!;
        System.IO.File.SetUnixFileMode(dir, OwnerOnly | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        Assert.Equal($"event script {path}: its directory {dir} is writable by group or others (mode 0703); refusing to trust it (chmod go-w {dir})",
            FileTrust.Problem(path, "event script"));
    }

    [Fact]
    public void Problem_DirectoryOfAnotherUser_RefusedNamingTheDirectory()
    {
        var path = File("theirs/script");
        var dir = Path.GetDirectoryName(path)!;
        Chown(dir, Nobody);
        Assert.Contains($"its directory {dir} is owned by uid {Nobody}", FileTrust.Problem(path, "event script"));
    }

    [Fact]
    public void Problem_RootsStickyDirectoryOthersMayWrite_Trusted()
    {
        var path = File("sticky/a.conf");
        System.IO.File.SetUnixFileMode(Path.GetDirectoryName(path)!, (UnixFileMode)Convert.ToInt32("1777", 8)); // as /tmp
        Assert.Null(FileTrust.Problem(path, "config file"));
    }

    [Fact]
    public void Problem_LinkToAFileInAnUntrustedDirectory_RefusedNamingTheTarget()
    {
        var target = File("open/real");
        var openDir = Path.GetDirectoryName(target)!;
        System.IO.File.SetUnixFileMode(openDir, (UnixFileMode)Convert.ToInt32("777", 8));
        var link = Path.Combine(_dir, "link");
        System.IO.File.CreateSymbolicLink(link, target);
        Assert.Contains($"{target}: its directory {openDir} is writable by group or others", FileTrust.Problem(link, "fence agent"));
    }

    [Fact]
    public void Problem_Missing_SaysSo() =>
        Assert.Equal($"program {_dir}/none does not exist", FileTrust.Problem(Path.Combine(_dir, "none"), "program"));

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    [InlineData("/tmp")]
    public void RegularFileProblem_DeviceOrDirectory_Refused(string path) =>
        Assert.Equal($"included file {path} is not a regular file", FileTrust.RegularFileProblem(path, 1024, "included file"));

    [Fact]
    public void RegularFileProblem_TooBig_RefusedWithTheSize() =>
        Assert.Equal($"config file {File("big.conf", new string('#', 2000))} is 2000 bytes, more than the 1024 allowed",
            FileTrust.RegularFileProblem(Path.Combine(_dir, "big.conf"), 1024, "config file"));

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public void Load_IncludeOfADevice_ErrorNamingItWhereTheIncludeIs(string device)
    {
        var path = File("haven.conf", $"include \"{device}\"\n");
        var e = Assert.Throws<HoconException>(() => ConfigFiles.Load(path, _ => null));
        Assert.Equal($"{path}:1:9: cannot read include \"{device}\": included file (from {path}) {device} is not a regular file", e.Message);
    }

    [Fact]
    public void Load_IncludeOwnedByAnotherUser_Refused()
    {
        var included = File("other.conf", "haven.cluster.name = evil\n");
        Chown(included, Nobody);
        var path = File("haven.conf", "include \"other.conf\"\n");
        var e = Assert.Throws<HoconException>(() => ConfigFiles.Load(path, _ => null));
        Assert.Contains($"{included} is owned by uid {Nobody}", e.Message);
    }

    [Fact]
    public void Load_ConfigFileOwnedByAnotherUser_Refused()
    {
        var path = File("haven.conf", "haven.cluster.name = x\n");
        Chown(path, Nobody);
        Assert.Contains($"config file {path} is owned by uid {Nobody}", Assert.Throws<ConfigException>(() => ConfigFiles.Load(path, _ => null)).Message);
    }
}
