using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Haven.Adapters.Tests.Heuristics;

/// <summary>
/// A network namespace of the test's own, <c>hvt-XXXXXX</c>, holding one address (in 198.18.0.0/15, the
/// benchmarking range) on the namespace end of a veth pair whose namespace end is down. The host end
/// carries a /32 route to that address, so an echo to it stays on the veth and is never answered.
/// Everything is removed on dispose, and on a failed setup. <c>ip</c> runs with an argument list, no shell.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private readonly List<string[]> undo = [];

    private NetworkNamespace(string name, IPAddress address)
    {
        Name = name;
        Address = address;
    }

    public string Name { get; }

    /// <summary>The address that exists only inside the namespace.</summary>
    public IPAddress Address { get; }

    public string HostLink => $"{Name}-a";

    private string NamespaceLink => $"{Name}-b";

    public static NetworkNamespace CreateWithDownLink()
    {
        var name = $"hvt-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var octets = RandomNumberGenerator.GetBytes(2);
        var address = new IPAddress([198, (byte)(18 + (octets[0] & 1)), octets[1], (byte)RandomNumberGenerator.GetInt32(2, 254)]);
        var ns = new NetworkNamespace(name, address);
        try
        {
            ns.Run(["netns", "add", name], undo: ["netns", "delete", name]);
            ns.Run(["link", "add", ns.HostLink, "type", "veth", "peer", "name", ns.NamespaceLink], undo: ["link", "delete", ns.HostLink]);
            ns.Run(["link", "set", ns.NamespaceLink, "netns", name]);
            ns.Run(["-n", name, "address", "add", $"{address}/32", "dev", ns.NamespaceLink]);
            ns.Run(["-n", name, "link", "set", ns.NamespaceLink, "up"]);
            ns.Run(["link", "set", ns.HostLink, "up"]);
            ns.Run(["route", "add", $"{address}/32", "dev", ns.HostLink]);
            ns.Run(["-n", name, "link", "set", ns.NamespaceLink, "down"]);
            ns.AssertRoutedIntoNamespace();
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Refuses to let a test send anything unless the address is routed onto our own veth.</summary>
    public void AssertRoutedIntoNamespace()
    {
        var route = Ip(["route", "get", Address.ToString()]);
        if (!route.Output.Contains($"dev {HostLink} ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{Address} is not routed via {HostLink}; refusing to send to it: {route.Output}");
        }
    }

    public void Dispose()
    {
        var failures = new List<string>();
        for (var i = undo.Count - 1; i >= 0; i--)
        {
            var result = Ip(undo[i]);
            if (result.ExitCode != 0)
            {
                failures.Add($"ip {string.Join(' ', undo[i])}: {result.Output}");
            }
        }

        undo.Clear();
        if (failures.Count > 0)
        {
            throw new InvalidOperationException("cleanup failed: " + string.Join("; ", failures));
        }
    }

    /// <summary>Whether anything named after this namespace is left (for the cleanup test).</summary>
    public static bool Exists(string name) =>
        Ip(["netns", "list"]).Output.Contains(name, StringComparison.Ordinal)
        || Ip(["-o", "link", "show"]).Output.Contains(name, StringComparison.Ordinal);

    private void Run(string[] arguments, string[]? undo = null)
    {
        var result = Ip(arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Output}");
        }

        if (undo is not null)
        {
            this.undo.Add(undo);
        }
    }

    private static (int ExitCode, string Output) Ip(string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start ip");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            throw new TimeoutException($"ip {string.Join(' ', arguments)} did not finish in 10 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
