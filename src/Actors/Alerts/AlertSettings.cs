using System.Collections.Immutable;
using System.Globalization;
using Haven.Actors.Configuration;

namespace Haven.Actors.Alerts;

/// <summary><c>haven.alerts</c>: e-mail alerts, de-duplicated and rate limited.</summary>
public sealed record AlertSettings
{
    public const string Root = "haven.alerts";

    public bool Enabled { get; init; }

    public string SmtpHost { get; init; } = "127.0.0.1";

    public int SmtpPort { get; init; } = 25;

    /// <summary>User for AUTH PLAIN; "" means no authentication.</summary>
    public string SmtpUser { get; init; } = "";

    /// <summary>Owner-only file holding the SMTP password; "" means none.</summary>
    public string SmtpPasswordFile { get; init; } = "";

    /// <summary>Each step of the SMTP conversation (connect, every reply) fails after this long.</summary>
    public TimeSpan SmtpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string From { get; init; } = "haven@localhost";

    public ImmutableArray<string> To { get; init; } = [];

    public ImmutableHashSet<AlertKind> Triggers { get; init; } =
        [AlertKind.Fence, AlertKind.FenceFailed, AlertKind.Failover, AlertKind.Unhealthy, AlertKind.SplitBrain];

    /// <summary>An alert whose key was accepted less than this long ago is suppressed (counted, not mailed).</summary>
    public TimeSpan DedupWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Mails sent at once per <see cref="Period"/>; later alerts go into one summary at the period's end.</summary>
    public int MaxPerPeriod { get; init; } = 5;

    public TimeSpan Period { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Put in the subject of every mail.</summary>
    public string ClusterName { get; init; } = "haven";

    /// <summary>
    /// Reads <c>haven.alerts</c> (and <c>haven.cluster.name</c>) with the reference configuration under
    /// <paramref name="config"/>; throws <see cref="ConfigException"/> naming the key for a bad value.
    /// </summary>
    public static AlertSettings Read(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.WithFallback(HavenConfig.Reference);
        var (host, port) = HostPort(c, $"{Root}.smtp-server");
        var triggers = ImmutableHashSet.CreateBuilder<AlertKind>();
        var names = c.GetStringList($"{Root}.triggers");
        for (var i = 0; i < names.Count; i++)
        {
            if (!AlertKinds.TryParse(names[i], out var kind))
            {
                throw Bad(c, $"{Root}.triggers", $"[{i}]", $"unknown alert kind \"{names[i]}\"; expected one of {AlertKinds.AllNames}");
            }

            triggers.Add(kind);
        }

        var to = c.GetStringList($"{Root}.to");
        for (var i = 0; i < to.Count; i++)
        {
            MailAddress(c, $"{Root}.to", to[i], $"[{i}]");
        }

        var settings = new AlertSettings
        {
            Enabled = c.GetBoolean($"{Root}.enabled"),
            SmtpHost = host,
            SmtpPort = port,
            SmtpUser = c.GetString($"{Root}.smtp-user"),
            SmtpPasswordFile = c.GetString($"{Root}.smtp-password-file"),
            SmtpTimeout = Positive(c, "smtp-timeout"),
            From = MailAddress(c, $"{Root}.from", c.GetString($"{Root}.from"), ""),
            To = [.. to],
            Triggers = triggers.ToImmutable(),
            DedupWindow = c.GetDuration($"{Root}.dedup-window"),
            MaxPerPeriod = c.GetInt($"{Root}.max-per-period"),
            Period = Positive(c, "period"),
            ClusterName = c.GetString("haven.cluster.name"),
        };
        if (settings.DedupWindow < TimeSpan.Zero)
        {
            throw Bad(c, $"{Root}.dedup-window", "", "must not be negative (0s turns de-duplication off)");
        }

        if (settings.MaxPerPeriod < 1)
        {
            throw Bad(c, $"{Root}.max-per-period", "", "must be at least 1");
        }

        if (settings.Enabled && settings.To.IsEmpty)
        {
            throw Bad(c, $"{Root}.to", "", "alerts are enabled but nobody would receive them: list at least one address");
        }

        if (settings.SmtpUser.Length > 0 != settings.SmtpPasswordFile.Length > 0)
        {
            throw Bad(c, $"{Root}.smtp-user", "", "smtp-user and smtp-password-file must be set together");
        }

        return settings;
    }

    private static TimeSpan Positive(Config c, string key)
    {
        var value = c.GetDuration($"{Root}.{key}");
        return value > TimeSpan.Zero ? value : throw Bad(c, $"{Root}.{key}", "", "must be positive");
    }

    private static (string Host, int Port) HostPort(Config c, string path)
    {
        var text = c.GetString(path);
        var colon = text.LastIndexOf(':');
        var host = colon < 0 ? text : text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        var port = 25;
        if (host.Length == 0 || host.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch) || ch == '/')
            || (colon >= 0 && (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)))
        {
            throw Bad(c, path, "", $"\"{text}\" is not HOST or HOST:PORT (port 1..65535)");
        }

        return (host, port);
    }

    /// <summary>A bare address local@domain: one '@', no spaces, angle brackets or control characters (they would break the SMTP envelope).</summary>
    private static string MailAddress(Config c, string path, string address, string index)
    {
        var at = address.IndexOf('@');
        if (at <= 0 || at != address.LastIndexOf('@') || at == address.Length - 1
            || address.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch) || ch is '<' or '>' or ',' or ';' or '"'))
        {
            throw Bad(c, path, index, $"\"{address}\" is not a mail address (local@domain, no spaces or angle brackets)");
        }

        return address;
    }

    private static ConfigException Bad(Config c, string path, string index, string reason) =>
        new($"{path}{index}", c.HasPath(path) ? c.Origin(path) : null, reason);
}
