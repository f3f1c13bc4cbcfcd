using Haven.Actors.Alerts;
using Haven.Actors.Configuration;
using Haven.Actors.Fencing;
using Haven.Actors.FloatingIps.Conntrack;
using Haven.Adapters.Alerts;
using Haven.Adapters.Fencing;
using Haven.Adapters.FloatingIps;
using Haven.Adapters.Hypervisors;
using Haven.Host.Metrics;

namespace Haven.Host.Daemon;

/// <summary>
/// The one validator of a configuration: everything a daemon's start reads from it, checked without starting
/// anything. `haven config check` runs it on a file, the daemon's start on its file and then on its file with the
/// cluster-wide settings, and `haven config set` on what this host would run with after the change, so a file
/// or a change that passes here never stops a start. Every reader's problem is one <see cref="ConfigProblem"/>
/// naming the key and where it was written; files the configuration names (the fencing secrets, the SMTP
/// password) are read and checked as the start reads them.
/// </summary>
internal static class StartValidation
{
    /// <summary>Every problem of <paramref name="config"/> as this host's configuration; empty when a start can use it.</summary>
    public static IReadOnlyList<ConfigProblem> Problems(Config config, string hostName, bool transportSupplied = false)
    {
        var c = config.WithFallback(HavenConfig.Reference);
        var found = new List<ConfigProblem>();
        void Check(Action read)
        {
            try
            {
                read();
            }
            catch (ConfigException e)
            {
                found.Add(new ConfigProblem(e.Path ?? "", e.Reason, e.Origin?.ToString()));
            }
            catch (Exception e) when (e is HoconException or ArgumentException or InvalidOperationException or FenceDeviceException or IOException
                                          or UnauthorizedAccessException)
            {
                found.Add(new ConfigProblem("", e.Message, null));
            }
        }

        Check(() => found.AddRange(HavenConfig.Validate(config, hostName)));
        if (found.Count > 0) return found;
        HavenSettings? settings = null;
        Check(() => settings = HavenSettings.From(c));
        if (settings is null) return found;
        Check(() => Paths(c));
        if (!transportSupplied) Check(() => Transport(settings, hostName));
        Check(() => FencingRulesConfig.Read(c));
        Check(() => Fencing(settings.Fencing));
        Check(() => EventsSettings.From(c));
        Check(() => Alerts(c));
        Check(() => Conntrack(c, settings));
        Check(() => ExtraAddressSettings.Read(c));
        Check(() => HypervisorSettings.Read(c));
        Check(() => MetricsSettings.From(c));
        // The web view's listener, TLS files and token (they read files, so they are checked here, not in the schema).
        Check(() => found.AddRange(Haven.Host.Web.WebSettings.Check(config).Select(p => new ConfigProblem("", p, null))));
        return found;
    }

    /// <summary>The problems as one line each, for an operator.</summary>
    public static string Describe(IEnumerable<ConfigProblem> problems) =>
        string.Join("; ", problems.Select(p => p.Path.Length == 0 || p.Message.StartsWith(p.Path, StringComparison.Ordinal) ? p.Message : $"{p.Path}: {p.Message}"));

    /// <summary>The control socket and the SQLite journal must name a file, not nothing or a directory.</summary>
    private static void Paths(Config c)
    {
        NonEmptyFilePath(c, "haven.control.socket", "the control socket");
        if (c.GetString("haven.journal.provider") == "sqlite") NonEmptyFilePath(c, "haven.journal.sqlite.path", "the SQLite journal");
        if (c.GetString("haven.logging.file.path") is { Length: > 0 } log && Directory.Exists(log))
            throw new ConfigException("haven.logging.file.path", c.Origin("haven.logging.file.path"), $"{log} is a directory; name the log file");
    }

    private static void NonEmptyFilePath(Config c, string key, string what)
    {
        var path = c.GetString(key);
        if (path.Trim().Length == 0) throw new ConfigException(key, c.Origin(key), $"must name {what}'s file, not \"\"");
        if (Directory.Exists(path)) throw new ConfigException(key, c.Origin(key), $"{path} is a directory; name {what}'s file");
    }

    private static void Transport(HavenSettings settings, string hostName)
    {
        var options = ClusterConfig.ToClusterOptions(settings, hostName);
        if (settings.Cluster.Transport == ClusterTransportKind.Simulated && options.Nodes.Length > 1)
            throw new ConfigException("haven.cluster.transport", settings.Source?.Origin("haven.cluster.transport"),
                $"simulated runs a one-host cluster, but haven.cluster.nodes lists {options.Nodes.Length} nodes; use transport = corosync");
    }

    /// <summary>With fencing on: a secrets file that loads and has every device's secrets, and devices that can be built.</summary>
    private static void Fencing(FencingSettings fencing)
    {
        if (fencing.Enabled)
        {
            if (fencing.SecretsFile.Length == 0) throw new ConfigException(SecretsFileKey, null, NeedsSecretsFile);
            var secrets = FencingSecretsFile.Load(fencing.SecretsFile);
            var missing = FencingConfig.CheckSecrets(fencing, secrets);
            if (missing.Count > 0) throw new ConfigException(SecretsFileKey, null, $"secrets file {fencing.SecretsFile}: {string.Join("; ", missing)}");
            _ = FenceDeviceFactory.Create(fencing, secrets);
        }
    }

    public const string SecretsFileKey = FencingConfig.Root + ".secrets-file";

    public const string NeedsSecretsFile =
        "haven.fencing.enabled = on needs haven.fencing.secrets-file (owner-only, with each device's community or password)";

    /// <summary>Alerts on with an SMTP user: the password file, read as the sender reads it.</summary>
    private static void Alerts(Config c)
    {
        var alerts = AlertSettings.Read(c);
        if (!alerts.Enabled || alerts.SmtpUser.Length == 0) return;
        const string key = "haven.alerts.smtp-password-file";
        if (alerts.SmtpPasswordFile.Length == 0) throw new ConfigException(key, c.Origin(key), "must be set when haven.alerts.smtp-user is");
        try
        {
            _ = SmtpPasswordFile.Read(alerts.SmtpPasswordFile);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(key, c.Origin(key), e.Message.StartsWith(key + ": ", StringComparison.Ordinal) ? e.Message[(key.Length + 2)..] : e.Message);
        }
    }

    private static void Conntrack(Config c, HavenSettings settings)
    {
        var conntrack = ConntrackSettings.Read(c);
        if (!conntrack.Enabled) return;
        var addresses = settings.Ips.PublicAddresses.Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        var unknown = conntrack.Group.Where(ip => !addresses.Contains(ip)).ToList();
        if (unknown.Count > 0)
            throw new ConfigException("haven.conntrack.group", c.Origin("haven.conntrack.group"), $"{string.Join(", ", unknown)} not in haven.ips.public-addresses");
    }
}
