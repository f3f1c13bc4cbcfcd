using System.Text.Json;
using Haven.Actors.Vms;

namespace Haven.Adapters.Hypervisors;

/// <summary>
/// The process hypervisor's <see cref="VmDefinition.Config"/>: the VM's argv, never a shell string. Either a
/// JSON array of strings (<c>["/usr/bin/qemu-system-x86_64", "-name", "web one"]</c>) or the simple form,
/// words separated by whitespace with no quoting (<c>/usr/bin/sleep 1000</c>); a simple form containing a
/// quote or backslash is refused (use the JSON form for arguments with spaces). argv[0] is looked up in PATH
/// when it has no '/'.
/// </summary>
public static class ProcessCommandLine
{
    public static IReadOnlyList<string> Parse(string vmName, string config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var text = config.Trim();
        IReadOnlyList<string> argv;
        if (text.StartsWith('['))
        {
            try
            {
                argv = JsonSerializer.Deserialize<string[]>(text) ?? [];
            }
            catch (JsonException e)
            {
                throw new HypervisorException($"VM {vmName}: command line is not a JSON array of strings: {e.Message}", e);
            }
        }
        else
        {
            if (text.IndexOfAny(['"', '\'', '\\']) >= 0)
            {
                throw new HypervisorException($"VM {vmName}: command line \"{text}\" has quotes or backslashes; write it as a JSON array of arguments");
            }

            argv = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        }

        if (argv.Count == 0 || argv[0].Length == 0)
        {
            throw new HypervisorException($"VM {vmName}: empty command line (expected [\"/path/to/program\", \"arg\", ...] or \"/path/to/program arg ...\")");
        }

        if (argv.Any(a => a is null || a.Contains('\0', StringComparison.Ordinal)))
        {
            throw new HypervisorException($"VM {vmName}: command line has a null or NUL-containing argument");
        }

        return argv;
    }
}
