using System.Net;
using Haven.Actors.Configuration;

namespace Haven.Host.Metrics;

/// <summary><c>haven.metrics</c>: whether the Prometheus endpoint runs, and the loopback address it listens on.</summary>
internal sealed record MetricsSettings(bool Enabled, IPEndPoint Listen)
{
    public const string EnabledPath = "haven.metrics.enabled";
    public const string ListenPath = "haven.metrics.listen";

    /// <summary>
    /// Reads <c>haven.metrics</c> (the reference under <paramref name="config"/>). Throws <see cref="ConfigException"/>
    /// naming the key and its origin when the address is malformed or not loopback: metrics are never served off-host.
    /// </summary>
    public static MetricsSettings From(Config config)
    {
        var c = config.WithFallback(HavenConfig.Reference);
        var enabled = c.GetBoolean(EnabledPath);
        var text = c.GetString(ListenPath);
        if (!TryParseEndPoint(text, out var endPoint, out var reason))
            throw new ConfigException(ListenPath, c.Origin(ListenPath), $"invalid value \"{text}\": {reason}");
        if (!IPAddress.IsLoopback(endPoint.Address))
            throw new ConfigException(ListenPath, c.Origin(ListenPath),
                $"\"{text}\" is not a loopback address; metrics are served on loopback only (127.0.0.1, ::1 or localhost); put a proxy in front to publish them");
        return new MetricsSettings(enabled, endPoint);
    }

    /// <summary>HOST:PORT with HOST an IP literal ([::1] for IPv6) or localhost, PORT 1..65535.</summary>
    internal static bool TryParseEndPoint(string text, out IPEndPoint endPoint, out string reason)
    {
        endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            reason = "expected HOST:PORT, e.g. 127.0.0.1:9464";
            return false;
        }
        var host = text[..colon];
        var portText = text[(colon + 1)..];
        if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            reason = $"port '{portText}' is not a whole number from 1 to 65535";
            return false;
        }
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':'))
        {
            reason = "write an IPv6 address in brackets, e.g. [::1]:9464";
            return false;
        }
        IPAddress? address = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is null)
        {
            reason = $"host '{host}' is not an IP address or localhost";
            return false;
        }
        endPoint = new IPEndPoint(address, port);
        reason = "";
        return true;
    }
}
