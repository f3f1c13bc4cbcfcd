using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Haven.Actors.Configuration;

namespace Haven.Actors.FloatingIps.Conntrack;

/// <summary><c>haven.conntrack</c>: conntrackd master/backup for the host that holds <see cref="Group"/>.</summary>
public sealed record ConntrackSettings
{
    public const string Root = "haven.conntrack";

    public bool Enabled { get; init; }

    public string Binary { get; init; } = "/usr/sbin/conntrackd";

    public string ConfigFile { get; init; } = "/etc/conntrackd/conntrackd.conf";

    /// <summary>The addresses that carry the connections, canonical IPv4; the host holding all of them is master.</summary>
    public ImmutableArray<string> Group { get; init; } = [];

    public string StateFile { get; init; } = "/var/lib/haven/conntrack.state";

    /// <summary>Each conntrackd call is killed and fails after this long.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads <c>haven.conntrack</c> with the reference configuration under <paramref name="config"/>. Throws
    /// <see cref="ConfigException"/> naming the key for a bad address, a relative path, a non-positive timeout,
    /// or an empty group while enabled.
    /// </summary>
    public static ConntrackSettings Read(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.WithFallback(HavenConfig.Reference);
        var group = ImmutableArray.CreateBuilder<string>();
        var list = c.GetStringList($"{Root}.group");
        for (var i = 0; i < list.Count; i++)
        {
            if (!IPAddress.TryParse(list[i], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || list[i].Count(ch => ch == '.') != 3)
            {
                throw new ConfigException($"{Root}.group[{i}]", c.Origin($"{Root}.group"), $"\"{list[i]}\" is not an IPv4 address (A.B.C.D)");
            }

            var canonical = ip.ToString();
            if (group.Contains(canonical))
            {
                throw new ConfigException($"{Root}.group[{i}]", c.Origin($"{Root}.group"), $"address {canonical} is listed twice");
            }

            group.Add(canonical);
        }

        var settings = new ConntrackSettings
        {
            Enabled = c.GetBoolean($"{Root}.enabled"),
            Binary = AbsolutePath(c, "binary"),
            ConfigFile = AbsolutePath(c, "config"),
            Group = group.ToImmutable(),
            StateFile = AbsolutePath(c, "state-file"),
            Timeout = c.GetDuration($"{Root}.timeout"),
        };
        if (settings.Timeout <= TimeSpan.Zero)
        {
            throw new ConfigException($"{Root}.timeout", c.Origin($"{Root}.timeout"), "must be positive");
        }

        if (settings.Enabled && settings.Group.IsEmpty)
        {
            throw new ConfigException($"{Root}.group", c.Origin($"{Root}.group"),
                "conntrack is enabled but the group is empty: list the floating addresses whose holder is the conntrackd master");
        }

        return settings;
    }

    private static string AbsolutePath(Config c, string key)
    {
        var path = c.GetString($"{Root}.{key}");
        return Path.IsPathRooted(path)
            ? path
            : throw new ConfigException($"{Root}.{key}", c.Origin($"{Root}.{key}"), $"\"{path}\" is not an absolute path");
    }
}
