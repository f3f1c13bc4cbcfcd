using System.Xml.Linq;
using Haven.Actors.Configuration;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Haven.Adapters.Hypervisors.LibvirtNative;

namespace Haven.Adapters.Hypervisors;

/// <summary>How the libvirt adapter connects and migrates.</summary>
public sealed record LibvirtOptions
{
    /// <summary>This host's libvirt connection URI.</summary>
    public string Uri { get; init; } = "qemu:///system";

    /// <summary>The destination connection URI for peer-to-peer live migration; {node} is replaced by the target node's name.</summary>
    public string MigrateUri { get; init; } = "qemu+ssh://{node}/system";

    /// <summary>Set on every disk before a start; null leaves the domain XML's own policy.</summary>
    public DiskErrorPolicyKind? DiskErrorPolicy { get; init; } = DiskErrorPolicyKind.Stop;
}

/// <summary>
/// VMs as libvirt domains through libvirt.so.0. <see cref="VmDefinition.Config"/> is the path of the
/// domain XML file; its &lt;name&gt; must be the VM's name. A start checks the disks
/// (<see cref="DiskImageCheck"/>), applies the disk error policy and creates a transient domain; an
/// unknown domain is Stopped. Live migration is peer-to-peer to <see cref="LibvirtOptions.MigrateUri"/>
/// and aborts on I/O errors; a cancelled migration is aborted (the VM keeps running here).
/// <para>
/// One connection per instance, opened on first use and reopened when it died; libvirt connections are
/// thread-safe. Calls block, so each runs on the thread pool, and libvirt's per-thread last error is read
/// on the thread of the failing call. libvirt's own printing to stderr is silenced.
/// </para>
/// </summary>
public sealed class LibvirtHypervisor : IHypervisor, IDisposable
{
    private readonly LibvirtOptions options;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private ConnectionHandle? connection;
    private bool disposed;

    public LibvirtHypervisor(LibvirtOptions? options = null, ILogger<LibvirtHypervisor>? logger = null)
    {
        this.options = options ?? new LibvirtOptions();
        if (string.IsNullOrWhiteSpace(this.options.Uri))
        {
            throw new ArgumentException("libvirt connection URI must not be empty", nameof(options));
        }

        this.logger = logger ?? NullLogger<LibvirtHypervisor>.Instance;
        SilenceErrors();
    }

    public string Kind => "libvirt";

    public bool SupportsLiveMigration => true;

    public Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken) =>
        Task.Run(() => Status(vm), cancellationToken);

    public Task StartAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        return Task.Run(() => Start(vm, Prepare(vm)), cancellationToken);
    }

    public Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken) => Task.Run(
        () =>
        {
            using var domain = Lookup(vm, "shutdown");
            if (domain is null)
            {
                logger.LogDebug("VM {Vm} is not defined in libvirt; nothing to shut down", vm.Name);
                return;
            }

            Check(vm, "shutdown", virDomainShutdown(domain), tolerateNotRunning: true);
            logger.LogInformation("Asked VM {Vm} to shut down (libvirt)", vm.Name);
        },
        cancellationToken);

    public Task KillAsync(VmDefinition vm, CancellationToken cancellationToken) => Task.Run(
        () =>
        {
            using var domain = Lookup(vm, "destroy");
            if (domain is null)
            {
                return;
            }

            Check(vm, "destroy", virDomainDestroy(domain), tolerateNotRunning: true);
            var after = Status(vm);
            if (after.State == VmPowerState.Running || after.State == VmPowerState.Paused)
            {
                throw new HypervisorException($"VM {vm.Name}: libvirt destroy returned but the domain is still {after.State} ({after.Detail})");
            }

            logger.LogInformation("Destroyed VM {Vm} (libvirt)", vm.Name);
        },
        cancellationToken);

    public Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (string.IsNullOrEmpty(targetNode) || !ClusterConfig.IsValidNodeName(targetNode))
        {
            return Task.FromException(new HypervisorException($"VM {vm.Name}: cannot migrate to \"{targetNode}\": not a valid node name"));
        }

        var uri = options.MigrateUri.Replace("{node}", targetNode, StringComparison.Ordinal);
        return Task.Run(() => Migrate(vm, targetNode, uri, cancellationToken), cancellationToken);
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            connection?.Dispose();
            connection = null;
        }
    }

    /// <summary>The live domain XML libvirt holds for <paramref name="vm"/> (virDomainGetXMLDesc), or null when it is not defined.</summary>
    internal string? LiveXml(VmDefinition vm)
    {
        using var domain = Lookup(vm, "get XML");
        if (domain is null)
        {
            return null;
        }

        var text = virDomainGetXMLDesc(domain, 0);
        if (text == 0)
        {
            throw Failure(vm, "get XML", LastError().Message);
        }

        try
        {
            return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(text);
        }
        finally
        {
            Free(text);
        }
    }

    private string Prepare(VmDefinition vm)
    {
        var document = DomainXml.Load(vm.Name, vm.Config);
        DiskImageCheck.Check(vm.Name, document);
        if (options.DiskErrorPolicy is { } policy)
        {
            document = DiskErrorPolicy.Apply(document, policy);
        }

        return document.ToString(SaveOptions.DisableFormatting);
    }

    private VmStatus Status(VmDefinition vm)
    {
        using var domain = Lookup(vm, "status");
        if (domain is null)
        {
            return new VmStatus(VmPowerState.Stopped, "not defined");
        }

        if (virDomainGetState(domain, out var state, out var reason, 0) < 0)
        {
            var (code, message) = LastError();
            if (code == ErrNoDomain)
            {
                return new VmStatus(VmPowerState.Stopped, "not defined");
            }

            throw Failure(vm, "get state", message);
        }

        return LibvirtStates.ToStatus(state, reason);
    }

    private void Start(VmDefinition vm, string xml)
    {
        var before = Status(vm);
        if (before.State is VmPowerState.Running or VmPowerState.Paused)
        {
            logger.LogDebug("VM {Vm} is already {State} in libvirt; not starting it again", vm.Name, before.State);
            return;
        }

        if (before.State == VmPowerState.Crashed)
        {
            using var crashed = Lookup(vm, "destroy");
            if (crashed is not null)
            {
                Check(vm, "destroy", virDomainDestroy(crashed), tolerateNotRunning: true);
            }
        }

        using (var created = virDomainCreateXML(Connection(), xml, 0))
        {
            if (created.IsInvalid)
            {
                throw Failure(vm, "create", LastError().Message);
            }
        }

        var after = Status(vm);
        if (after.State != VmPowerState.Running)
        {
            throw new HypervisorException($"VM {vm.Name}: libvirt created the domain but it is {after.State} ({after.Detail})");
        }

        logger.LogInformation("Started VM {Vm} (libvirt, {Uri})", vm.Name, options.Uri);
    }

    private void Migrate(VmDefinition vm, string targetNode, string uri, CancellationToken cancellationToken)
    {
        using var domain = Lookup(vm, "migrate") ?? throw new HypervisorException($"VM {vm.Name}: cannot migrate to {targetNode}: the domain is not defined here");
        logger.LogInformation("Live-migrating VM {Vm} to {Node} ({Uri})", vm.Name, targetNode, uri);
        int result;
        string error = "";
        using (cancellationToken.Register(() =>
        {
            logger.LogWarning("Aborting live migration of VM {Vm} to {Node}: cancelled", vm.Name, targetNode);
            _ = virDomainAbortJob(domain);
        }))
        {
            result = virDomainMigrateToURI3(domain, uri, 0, 0, MigrateLive | MigratePeerToPeer | MigrateAbortOnError);
            if (result < 0)
            {
                error = LastError().Message;
            }
        }

        if (result < 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new HypervisorException($"VM {vm.Name}: live migration to {targetNode} failed: {error}");
        }

        logger.LogInformation("Live-migrated VM {Vm} to {Node}", vm.Name, targetNode);
    }

    /// <summary>The domain, or null when libvirt does not know it.</summary>
    private DomainHandle? Lookup(VmDefinition vm, string operation)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var domain = virDomainLookupByName(Connection(), vm.Name);
        if (!domain.IsInvalid)
        {
            return domain;
        }

        var (code, message) = LastError();
        domain.Dispose();
        return code == ErrNoDomain ? null : throw Failure(vm, operation, message);
    }

    private void Check(VmDefinition vm, string operation, int result, bool tolerateNotRunning)
    {
        if (result >= 0)
        {
            return;
        }

        var (code, message) = LastError();
        if (tolerateNotRunning && (code == ErrOperationInvalid || code == ErrNoDomain))
        {
            logger.LogDebug("libvirt {Operation} of VM {Vm}: {Message}; treated as already stopped", operation, vm.Name, message);
            return;
        }

        throw Failure(vm, operation, message);
    }

    private HypervisorException Failure(VmDefinition vm, string operation, string message) =>
        new($"VM {vm.Name}: libvirt {operation} failed: {message}");

    private ConnectionHandle Connection()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (connection is { IsInvalid: false, IsClosed: false } open && virConnectIsAlive(open) == 1)
            {
                return open;
            }

            connection?.Dispose();
            connection = null;
            var opened = virConnectOpen(options.Uri);
            if (opened.IsInvalid)
            {
                var (_, message) = LastError();
                opened.Dispose();
                throw new HypervisorException($"cannot connect to libvirt at {options.Uri}: {message}");
            }

            connection = opened;
            return opened;
        }
    }
}
