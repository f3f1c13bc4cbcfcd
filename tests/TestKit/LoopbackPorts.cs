using System.Net;
using System.Net.Sockets;

namespace Haven.TestKit;

/// <summary>
/// Free loopback ports for servers a test starts on a port it gives them (snmpd, PostgreSQL, the metrics
/// listener). A port from bind(0) is in the kernel's ephemeral range, where any outgoing connection or
/// UDP socket of a test running in parallel may take it before the server binds it; these ports come
/// from below that range (only explicit binds use it), at random so that parallel tests rarely pick the
/// same one. A server that still finds its port taken should be restarted on another.
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 20000;

    /// <summary>A port that nothing on 127.0.0.1 holds now for <paramref name="protocol"/> (Tcp or Udp).</summary>
    public static int Free(ProtocolType protocol)
    {
        var below = EphemeralLow();
        if (below - Lowest >= 1000)
        {
            for (var i = 0; i < 200; i++)
            {
                var port = Random.Shared.Next(Lowest, below);
                if (TryBind(protocol, port) is not null) return port;
            }
        }
        return TryBind(protocol, 0) ?? throw new InvalidOperationException($"no free {protocol} port on 127.0.0.1");
    }

    private static int? TryBind(ProtocolType protocol, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream, protocol);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return ((IPEndPoint)socket.LocalEndPoint!).Port;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>The first port of net.ipv4.ip_local_port_range (32768 when it cannot be read).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
