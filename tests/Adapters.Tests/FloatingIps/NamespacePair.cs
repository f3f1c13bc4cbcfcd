using System.Diagnostics;

namespace Haven.Adapters.Tests.FloatingIps;

/// <summary>
/// Two network namespaces of this test's own (<c>hvip-RANDOM-h</c> for the manager, <c>hvip-RANDOM-p</c>
/// for a peer) joined by a veth pair: <see cref="HostInterface"/> 10.214.0.1/24 and
/// <see cref="PeerInterface"/> 10.214.0.2/24. Addresses exist only inside these namespaces; both
/// namespaces (and with them the veth pair) are deleted in Dispose, even after a failed setup.
/// </summary>
internal sealed class NamespacePair : IDisposable
{
    public const string HostInterface = "hv0";
    public const string PeerInterface = "hv1";
    public const string HostBase = "10.214.0.1";
    public const string PeerBase = "10.214.0.2";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);

    public NamespacePair()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        Host = $"hvip-{id}-h";
        Peer = $"hvip-{id}-p";
        try
        {
            Run("ip", "netns", "add", Host);
            Run("ip", "netns", "add", Peer);
            Run("ip", "link", "add", HostInterface, "netns", Host, "type", "veth", "peer", "name", PeerInterface, "netns", Peer);
            Run("ip", "-n", Host, "link", "set", "lo", "up");
            Run("ip", "-n", Peer, "link", "set", "lo", "up");
            Run("ip", "-n", Host, "addr", "add", $"{HostBase}/24", "dev", HostInterface);
            Run("ip", "-n", Peer, "addr", "add", $"{PeerBase}/24", "dev", PeerInterface);
            Run("ip", "-n", Host, "link", "set", HostInterface, "up");
            Run("ip", "-n", Peer, "link", "set", PeerInterface, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The namespace the manager acts in.</summary>
    public string Host { get; }

    public string Peer { get; }

    /// <summary>The command prefix that runs the manager's commands inside <see cref="Host"/>.</summary>
    public IReadOnlyList<string> HostPrefix => ["ip", "netns", "exec", Host];

    /// <summary>Runs a command in the peer namespace and returns its exit code (stdout and stderr discarded).</summary>
    public int InPeer(params string[] command) => Exec(["ip", "netns", "exec", Peer, .. command]).ExitCode;

    /// <summary>Runs argv (no shell) and throws with its stderr unless it exits 0.</summary>
    public static string Run(params string[] argv)
    {
        var (code, output, error) = Exec(argv);
        if (code != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', argv)} exited {code}: {error.Trim()}");
        }

        return output;
    }

    public static (int ExitCode, string Output, string Error) Exec(IReadOnlyList<string> argv)
    {
        var start = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in argv.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', argv)} did not finish within {CommandTimeout}");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    public void Dispose()
    {
        foreach (var name in new[] { Host, Peer })
        {
            if (name is not null)
            {
                _ = Exec(["ip", "netns", "del", name]);
            }
        }
    }
}
