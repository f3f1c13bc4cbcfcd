using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Haven.Actors.Configuration;
using Haven.Actors.Vms;
using Haven.Adapters.Configuration;
using Haven.Adapters.Hypervisors;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>
/// This host's VM services from haven.vms: the hypervisor adapters (libvirt, xen, openvz, process), each
/// built on first use so a host without libvirt never loads it. A kind that cannot be built (libvirt.so
/// missing, a bad setting) is logged and counts as absent: a VM of that kind placed here fails and moves on.
/// The VM policy, the placement options and the node capacities come from <see cref="HavenSettings.Vms"/>
/// (reference.conf &lt; cluster-wide &lt; this host's file, as read at start).
/// </summary>
internal static class VmWiring
{
    public static (VmServices Services, IDisposable Owner) Create(HavenSettings settings, string configPath, ILoggerFactory loggers, Config? startConfig = null)
    {
        HypervisorRegistry registry;
        try
        {
            registry = HypervisorRegistry.FromConfig(startConfig ?? settings.Source ?? ConfigFiles.Load(configPath), loggers, TimeProvider.System);
        }
        catch (Exception e) when (e is ConfigException or HoconException)
        {
            throw new CliException(e.Message);
        }
        var vms = settings.Vms;
        var services = new VmServices(new LazyHypervisors(registry, loggers.CreateLogger("Haven.Vms")))
        {
            Policy = vms.Policy,
            Placement = vms.Placement,
            Capacities = vms.Capacities,
        };
        return (services, registry);
    }

    /// <summary>The registry as the dictionary VmServices reads; a kind is built when first asked for.</summary>
    private sealed class LazyHypervisors(HypervisorRegistry registry, ILogger log) : IReadOnlyDictionary<string, IHypervisor>
    {
        public IHypervisor this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

        public IEnumerable<string> Keys => registry.Kinds;

        public IEnumerable<IHypervisor> Values => Keys.Select(k => this[k]);

        public int Count => registry.Kinds.Count;

        public bool ContainsKey(string key) => registry.Kinds.Contains(key, StringComparer.Ordinal);

        public bool TryGetValue(string key, [MaybeNullWhen(false)] out IHypervisor value)
        {
            value = null;
            if (!ContainsKey(key)) return false;
            try
            {
                value = registry.Get(key);
                return true;
            }
            catch (Exception e)
            {
                log.LogError("Hypervisor {Kind} is not available on this host: {Reason}", key, e.Message);
                return false;
            }
        }

        public IEnumerator<KeyValuePair<string, IHypervisor>> GetEnumerator() =>
            Keys.Select(k => TryGetValue(k, out var v) ? new KeyValuePair<string, IHypervisor>(k, v) : (KeyValuePair<string, IHypervisor>?)null)
                .OfType<KeyValuePair<string, IHypervisor>>().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
