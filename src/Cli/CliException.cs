namespace Haven.Host;

/// <summary>Process exit codes of every verb.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Error = 1;
    public const int Usage = 2;
}

/// <summary>An error the user should read: printed as one line on stderr, then the process exits with ExitCode.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Error) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
