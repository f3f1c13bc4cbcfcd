using Haven.Actors.Configuration;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Hypervisors;

/// <summary>
/// The hypervisors of this host by kind (libvirt, xen, openvz, process). Each is built on first use, so
/// a host without libvirt never loads libvirt.so.0. Disposing disposes those built.
/// </summary>
public sealed class HypervisorRegistry : IDisposable
{
    private readonly Dictionary<string, Lazy<IHypervisor>> kinds;

    /// <summary>A registry over the given factories, keyed by kind.</summary>
    public HypervisorRegistry(IReadOnlyDictionary<string, Func<IHypervisor>> factories)
    {
        ArgumentNullException.ThrowIfNull(factories);
        kinds = factories.ToDictionary(f => f.Key, f => new Lazy<IHypervisor>(f.Value), StringComparer.Ordinal);
    }

    /// <summary>The four adapters configured by <c>haven.vms.hypervisors</c>; throws <see cref="ConfigException"/> naming a bad key.</summary>
    public static HypervisorRegistry FromConfig(Config config, ILoggerFactory? loggers = null, TimeProvider? time = null) =>
        Create(HypervisorSettings.Read(config), loggers, time);

    public static HypervisorRegistry Create(HypervisorSettings settings, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        loggers ??= NullLoggerFactory.Instance;
        time ??= TimeProvider.System;
        return new HypervisorRegistry(new Dictionary<string, Func<IHypervisor>>
        {
            ["libvirt"] = () => new LibvirtHypervisor(settings.Libvirt, loggers.CreateLogger<LibvirtHypervisor>()),
            ["xen"] = () => new XenHypervisor(settings.Xen, loggers.CreateLogger<XenHypervisor>(), time),
            ["openvz"] = () => new OpenVzHypervisor(settings.OpenVz, loggers.CreateLogger<OpenVzHypervisor>(), time),
            ["process"] = () => new ProcessHypervisor(settings.Process, loggers.CreateLogger<ProcessHypervisor>(), time),
        });
    }

    /// <summary>The kinds this registry knows, sorted.</summary>
    public IReadOnlyList<string> Kinds => [.. kinds.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The hypervisor of <paramref name="kind"/>; an unknown kind is a <see cref="HypervisorException"/> listing the known ones.</summary>
    public IHypervisor Get(string kind) =>
        kinds.TryGetValue(kind, out var hypervisor)
            ? hypervisor.Value
            : throw new HypervisorException($"unknown hypervisor \"{kind}\" (known: {string.Join(", ", Kinds)})");

    /// <summary>The hypervisor that runs <paramref name="vm"/>; the error names the VM.</summary>
    public IHypervisor For(VmDefinition vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        return kinds.TryGetValue(vm.Hypervisor, out var hypervisor)
            ? hypervisor.Value
            : throw new HypervisorException($"VM {vm.Name}: unknown hypervisor \"{vm.Hypervisor}\" (known: {string.Join(", ", Kinds)})");
    }

    public void Dispose()
    {
        foreach (var hypervisor in kinds.Values.Where(h => h.IsValueCreated))
        {
            (hypervisor.Value as IDisposable)?.Dispose();
        }
    }
}
