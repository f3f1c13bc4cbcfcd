using System.Runtime.InteropServices;
using Haven.Host;
using Haven.Host.Cli;

// The ahead-of-time compiled `haven`: runs the verbs that ask a daemon itself and execs the full assembly for the
// rest (daemon, demo, simulate, config check, help, completion, --help), so both answer every verb the same way.
// The decision is taken before the console is touched: an exec'd full assembly starts from a clean terminal.
if (HavenCli.ClientRuns(HavenCli.BuildClient(new CliContext(TextWriter.Null, TextWriter.Null)), args))
    return await HavenCli.RunAsync(HavenCli.BuildClient(new CliContext(Console.Out, Console.Error)), args, Console.Out, Console.Error, CancellationToken.None);
return FullHaven.Exec(args);

/// <summary>The full assembly's `haven`: $HAVEN_FULL, else ../lib/haven/haven beside this executable (scripts/publish.sh's layout).</summary>
internal static partial class FullHaven
{
    public static string Path() => Environment.GetEnvironmentVariable("HAVEN_FULL") is { Length: > 0 } full
        ? full
        : System.IO.Path.GetFullPath(System.IO.Path.Combine(AppContext.BaseDirectory, "..", "lib", "haven", "haven"));

    /// <summary>Replaces this process with the full `haven` (same pid, signals and exit code); returns only when that fails.</summary>
    public static int Exec(string[] args)
    {
        var path = Path();
        var argv = new IntPtr[args.Length + 2];
        try
        {
            argv[0] = Marshal.StringToCoTaskMemUTF8(path);
            for (var i = 0; i < args.Length; i++) argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
            execv(path, argv);
            var errno = Marshal.GetLastPInvokeErrorMessage();
            Console.Error.WriteLine($"haven: this verb needs the full haven at {path} (set HAVEN_FULL to its path): {errno}");
            return ExitCodes.Error;
        }
        finally
        {
            foreach (var p in argv) Marshal.FreeCoTaskMem(p);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int execv(string path, IntPtr[] argv);
}
