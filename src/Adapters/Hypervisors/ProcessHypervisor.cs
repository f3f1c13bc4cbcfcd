using System.Collections.Concurrent;
using System.Text.Json;
using Haven.Actors.Configuration;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Hypervisors;

/// <summary>Where the process hypervisor keeps its state, and how long a kill may take.</summary>
public sealed record ProcessHypervisorOptions
{
    /// <summary>Directory of the per-VM state files (NAME.json) and logs (NAME.log); created when missing.</summary>
    public string StateDirectory { get; init; } = "/var/lib/haven/vms";

    /// <summary>How long <see cref="ProcessHypervisor.KillAsync"/> waits for the process to go after SIGKILL.</summary>
    public TimeSpan KillTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often exits are polled while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>
/// A VM is a supervised local process (demos, the namespace end-to-end tests, anything that runs as one
/// command). <see cref="VmDefinition.Config"/> is its argv (<see cref="ProcessCommandLine"/>). It runs in
/// a session and process group of its own, stdin from /dev/null, stdout and stderr appended to
/// STATE/NAME.log, and survives the daemon.
/// <para>
/// STATE/NAME.json records its pid, start time (from /proc) and the kernel's boot id, so that a reused
/// pid — after a reboot too — is never mistaken for the VM; <see cref="StatusAsync"/> thus works after
/// a daemon restart. Shutdown sends SIGTERM to the group and marks the state "stopping"; kill sends
/// SIGKILL to the group and waits. A process that is gone without having been asked to stop is Crashed (with its exit status when this daemon started
/// it) until the next start or kill; stopped by SIGSTOP it is Paused. Signals go to the group only
/// while its leader is the recorded process. No live migration.
/// </para>
/// </summary>
public sealed class ProcessHypervisor : IHypervisor
{
    private readonly ProcessHypervisorOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    public ProcessHypervisor(ProcessHypervisorOptions? options = null, ILogger<ProcessHypervisor>? logger = null, TimeProvider? time = null)
    {
        this.options = options ?? new ProcessHypervisorOptions();
        if (string.IsNullOrWhiteSpace(this.options.StateDirectory) || !Path.IsPathRooted(this.options.StateDirectory))
        {
            throw new ArgumentException($"process hypervisor state directory \"{this.options.StateDirectory}\" must be an absolute path", nameof(options));
        }

        this.logger = logger ?? NullLogger<ProcessHypervisor>.Instance;
        this.time = time ?? TimeProvider.System;
    }

    public string Kind => "process";

    public bool SupportsLiveMigration => false;

    /// <summary>What NAME.json holds.</summary>
    internal sealed record ProcessRecord(int Pid, ulong StartTime, string BootId = "", bool Stopping = false, string? Exit = null)
    {
        /// <summary>Whether <paramref name="stat"/> is this record's process: same pid, start time and boot (start times restart at each boot).</summary>
        public bool Is(ProcStat? stat, string bootId) => stat is not null && stat.StartTime == StartTime && BootId == bootId;
    }

    public async Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(vm, cancellationToken).ConfigureAwait(false);
        return Status(vm).Status;
    }

    public async Task StartAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        var argv = ProcessCommandLine.Parse(vm.Name, vm.Config);
        using var held = await LockAsync(vm, cancellationToken).ConfigureAwait(false);
        var (status, _) = Status(vm);
        if (status.State is VmPowerState.Running or VmPowerState.Paused)
        {
            logger.LogDebug("VM {Vm} is already {State} as a process; not starting it again", vm.Name, status.State);
            return;
        }

        Directory.CreateDirectory(options.StateDirectory);
        int pid;
        try
        {
            pid = PosixProcesses.Spawn(argv, LogPath(vm));
        }
        catch (IOException e)
        {
            throw new HypervisorException($"VM {vm.Name}: cannot start {argv[0]}: {e.Message}", e);
        }

        var stat = PosixProcesses.Stat(pid);
        if (stat is null || stat.State == 'Z')
        {
            var exit = PosixProcesses.TryReap(pid) ?? "exited at once";
            File.Delete(StatePath(vm));
            throw new HypervisorException($"VM {vm.Name}: {argv[0]} {exit} (see {LogPath(vm)})");
        }

        Write(vm, new ProcessRecord(pid, stat.StartTime, PosixProcesses.BootId()));
        logger.LogInformation("Started VM {Vm} as process {Pid} ({Program})", vm.Name, pid, argv[0]);
    }

    public async Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(vm, cancellationToken).ConfigureAwait(false);
        var (status, record) = Status(vm);
        if (record is null || status.State is VmPowerState.Stopped or VmPowerState.Crashed)
        {
            logger.LogDebug("VM {Vm} is not running as a process; nothing to shut down", vm.Name);
            return;
        }

        Write(vm, record with { Stopping = true });
        _ = PosixProcesses.Signal(-record.Pid, PosixProcesses.SigTerm);
        if (status.State == VmPowerState.Paused)
        {
            // A stopped process acts on SIGTERM only once continued.
            _ = PosixProcesses.Signal(-record.Pid, PosixProcesses.SigCont);
        }

        logger.LogInformation("Sent SIGTERM to VM {Vm} (process group {Pid})", vm.Name, record.Pid);
    }

    public async Task KillAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(vm, cancellationToken).ConfigureAwait(false);
        var (status, record) = Status(vm);
        if (record is not null && status.State is VmPowerState.Running or VmPowerState.Paused)
        {
            Write(vm, record with { Stopping = true });
            _ = PosixProcesses.Signal(-record.Pid, PosixProcesses.SigKill);
            logger.LogInformation("Sent SIGKILL to VM {Vm} (process group {Pid})", vm.Name, record.Pid);
            if (!await WaitGoneAsync(vm, options.KillTimeout, cancellationToken).ConfigureAwait(false))
            {
                throw new HypervisorException($"VM {vm.Name}: process {record.Pid} still there {options.KillTimeout.TotalSeconds:0.###} s after SIGKILL");
            }
        }

        if (File.Exists(StatePath(vm)))
        {
            File.Delete(StatePath(vm));
        }
    }

    public Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken) =>
        Task.FromException(new HypervisorException($"VM {vm.Name}: the process hypervisor cannot live-migrate (to {targetNode})"));

    /// <summary>Waits until the VM's process is gone; false at the timeout. Polls every <see cref="ProcessHypervisorOptions.PollInterval"/>.</summary>
    public async Task<bool> WaitForStopAsync(VmDefinition vm, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(vm, cancellationToken).ConfigureAwait(false);
        return await WaitGoneAsync(vm, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The recorded process of <paramref name="vm"/>, or null (for tests and diagnostics).</summary>
    internal ProcessRecord? Recorded(VmDefinition vm) => Read(vm);

    private async Task<bool> WaitGoneAsync(VmDefinition vm, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var began = time.GetTimestamp();
        while (Status(vm).Status.State is VmPowerState.Running or VmPowerState.Paused)
        {
            if (time.GetElapsedTime(began) >= timeout)
            {
                return false;
            }

            await Task.Delay(options.PollInterval, time, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private (VmStatus Status, ProcessRecord? Record) Status(VmDefinition vm)
    {
        var record = Read(vm);
        if (record is null)
        {
            return (new VmStatus(VmPowerState.Stopped, "not running"), null);
        }

        var stat = PosixProcesses.Stat(record.Pid);
        var ours = record.Is(stat, PosixProcesses.BootId());
        if (ours && stat!.State != 'Z')
        {
            return stat.State is 'T' or 't'
                ? (new VmStatus(VmPowerState.Paused, "paused: process stopped by a signal"), record)
                : (new VmStatus(VmPowerState.Running), record);
        }

        // Gone (or a zombie, or the pid now belongs to another process).
        if (record.Exit is null && ours)
        {
            var exit = PosixProcesses.TryReap(record.Pid);
            record = record with { Exit = exit ?? "exited" };
            Write(vm, record);
        }
        else if (record.Exit is null)
        {
            record = record with { Exit = "exited" };
            Write(vm, record);
        }

        return record.Stopping
            ? (new VmStatus(VmPowerState.Stopped, $"stopped: {record.Exit}"), record)
            : (new VmStatus(VmPowerState.Crashed, $"process {record.Pid} {record.Exit} unexpectedly"), record);
    }

    private async Task<IDisposable> LockAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (!ClusterConfig.IsValidNodeName(vm.Name) || vm.Name is "." or "..")
        {
            throw new HypervisorException($"VM \"{vm.Name}\": not a valid name for the process hypervisor (letters, digits, '.', '_', '-')");
        }

        var gate = locks.GetOrAdd(vm.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    private string StatePath(VmDefinition vm) => Path.Combine(options.StateDirectory, vm.Name + ".json");

    private string LogPath(VmDefinition vm) => Path.Combine(options.StateDirectory, vm.Name + ".log");

    private ProcessRecord? Read(VmDefinition vm)
    {
        string text;
        try
        {
            text = File.ReadAllText(StatePath(vm));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HypervisorException($"VM {vm.Name}: cannot read {StatePath(vm)}: {e.Message}", e);
        }

        try
        {
            return JsonSerializer.Deserialize<ProcessRecord>(text) is { Pid: > 0 } record
                ? record
                : throw new HypervisorException($"VM {vm.Name}: {StatePath(vm)} holds no valid pid; remove it after checking no process of the VM is left");
        }
        catch (JsonException e)
        {
            throw new HypervisorException($"VM {vm.Name}: {StatePath(vm)} is corrupt ({e.Message}); remove it after checking no process of the VM is left", e);
        }
    }

    private void Write(VmDefinition vm, ProcessRecord record)
    {
        var path = StatePath(vm);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(record));
        File.Move(temporary, path, overwrite: true);
    }
}
