using System.ComponentModel;
using Haven.Actors.Vms;
using Haven.Adapters.Configuration;
using Haven.Adapters.Fencing;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Hypervisors;

/// <summary>
/// Runs a hypervisor's command-line tool (xe, vzctl) for one VM: argv only (never a shell), its own
/// process group killed at the timeout (<see cref="FenceProcess"/>). A tool that cannot start, times out
/// or exits non-zero is a <see cref="HypervisorException"/> naming the VM, the command and the tool's
/// trimmed stderr (or stdout when stderr is empty). A tool missing at its path (or one that may not be trusted,
/// <see cref="FileTrust"/>) is said so, naming the path and the setting that names it.
/// </summary>
internal sealed class HypervisorCommand(string tool, TimeSpan timeout, ILogger logger, TimeProvider time, string key = "the hypervisor tool")
{
    public string Tool => tool;

    /// <summary>Runs the tool and returns its result whatever the exit code; only a failure to start or a timeout throws.</summary>
    public async Task<FenceProcessResult> RunAsync(VmDefinition vm, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var line = Line(arguments);
        // A tool that is missing (or may not be trusted) is said so, naming the path and its setting, before anything is run.
        if (tool.Contains('/', StringComparison.Ordinal) && FileTrust.Problem(tool, key) is { } problem)
        {
            throw new HypervisorException($"VM {vm.Name}: cannot run {Path.GetFileName(tool)}: {problem}");
        }

        logger.LogDebug("Running {Command} for VM {Vm}", line, vm.Name);
        FenceProcessResult result;
        try
        {
            result = await FenceProcess.RunAsync(tool, arguments, null, timeout, null, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Win32Exception or UnauthorizedAccessException)
        {
            throw new HypervisorException($"VM {vm.Name}: cannot run {tool}: {e.Message}", e);
        }

        if (result.TimedOut)
        {
            throw new HypervisorException($"VM {vm.Name}: {line} timed out after {timeout.TotalSeconds:0.###} s and was killed");
        }

        return result;
    }

    /// <summary>Runs the tool; a non-zero exit throws with the tool's own message.</summary>
    public async Task<FenceProcessResult> RunCheckedAsync(VmDefinition vm, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await RunAsync(vm, arguments, cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 ? result : throw Failure(vm, arguments, result);
    }

    public HypervisorException Failure(VmDefinition vm, IReadOnlyList<string> arguments, FenceProcessResult result)
    {
        var message = result.Error.Trim() is { Length: > 0 } error ? error : result.Output.Trim() is { Length: > 0 } output ? output : "no output";
        return new HypervisorException($"VM {vm.Name}: {Line(arguments)} failed with exit code {result.ExitCode}: {message}");
    }

    /// <summary>Checks a VM identifier passed to the tool: non-empty, no control characters.</summary>
    public static string Identifier(VmDefinition vm, string what)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var value = vm.Config.Trim();
        if (value.Length == 0 || value.Any(char.IsControl))
        {
            throw new HypervisorException($"VM {vm.Name}: {what} \"{vm.Config}\" is empty or has control characters");
        }

        return value;
    }

    private string Line(IReadOnlyList<string> arguments) => string.Join(' ', [Path.GetFileName(tool), .. arguments]);
}
