using Haven.Actors.Configuration;

namespace Haven.Adapters.Hypervisors;

/// <summary><c>haven.vms.hypervisors</c>: how each kind of hypervisor is reached on this host.</summary>
public sealed record HypervisorSettings(LibvirtOptions Libvirt, XenOptions Xen, OpenVzOptions OpenVz, ProcessHypervisorOptions Process)
{
    public const string Root = "haven.vms.hypervisors";

    /// <summary>
    /// Reads the settings (missing keys fall back to reference.conf). A problem throws
    /// <see cref="ConfigException"/> naming the key and where it was written.
    /// </summary>
    public static HypervisorSettings Read(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var full = config.WithFallback(HavenConfig.Reference);

        var uri = NonEmpty(full, "libvirt.uri");
        var migrateUri = NonEmpty(full, "libvirt.migrate-uri");
        if (!migrateUri.Contains("{node}", StringComparison.Ordinal))
        {
            throw Problem(full, "libvirt.migrate-uri", $"\"{migrateUri}\" must contain {{node}} (replaced by the target node's name)");
        }

        var policyText = full.GetString($"{Root}.libvirt.disk-error-policy");
        var policy = DiskErrorPolicy.Parse(policyText)
            ?? throw Problem(full, "libvirt.disk-error-policy", $"\"{policyText}\" is not one of stop, report, ignore, enospace");

        return new HypervisorSettings(
            new LibvirtOptions { Uri = uri, MigrateUri = migrateUri, DiskErrorPolicy = policy },
            new XenOptions { Xe = AbsolutePath(full, "xen.xe") },
            new OpenVzOptions { Vzctl = AbsolutePath(full, "openvz.vzctl") },
            new ProcessHypervisorOptions { StateDirectory = AbsolutePath(full, "process.state-dir") });
    }

    private static string NonEmpty(Config config, string key)
    {
        var value = config.GetString($"{Root}.{key}").Trim();
        return value.Length > 0 ? value : throw Problem(config, key, "must not be empty");
    }

    private static string AbsolutePath(Config config, string key)
    {
        var value = NonEmpty(config, key);
        return Path.IsPathRooted(value) ? value : throw Problem(config, key, $"\"{value}\" must be an absolute path");
    }

    private static ConfigException Problem(Config config, string key, string reason) =>
        new($"{Root}.{key}", config.Origin($"{Root}.{key}"), reason);
}
