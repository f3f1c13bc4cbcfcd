using Haven.Adapters.Configuration;

namespace Haven.Adapters.Alerts;

/// <summary>
/// An alert mail was not delivered: the server refused a step (the message names the command, without
/// credentials, and quotes the server's reply), the connection failed, or a step timed out.
/// </summary>
public sealed class AlertSendException(string message, int? replyCode = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The SMTP reply code that refused the mail, when the server answered.</summary>
    public int? ReplyCode { get; } = replyCode;
}

/// <summary>Reads the SMTP password file: owner-only, the password on its first line.</summary>
public static class SmtpPasswordFile
{
    private const UnixFileMode NotOwner =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The password in <paramref name="path"/>. Throws naming the file (never quoting the content) when it is missing, not owner-only or empty.</summary>
    public static string Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new InvalidOperationException($"haven.alerts.smtp-password-file: {path} does not exist");
        }

        if ((info.UnixFileMode & NotOwner) != 0)
        {
            throw new InvalidOperationException(
                $"haven.alerts.smtp-password-file: {path} has mode {Convert.ToString((int)info.UnixFileMode, 8)}; it must be owner-only (chmod 600), refusing to use it");
        }

        if (FileTrust.ReadableProblem(path, 64 * 1024, "haven.alerts.smtp-password-file:") is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        using var reader = new StreamReader(path);
        var password = reader.ReadLine()?.TrimEnd('\r') ?? "";
        return password.Length > 0
            ? password
            : throw new InvalidOperationException($"haven.alerts.smtp-password-file: {path} is empty; the password goes on its first line");
    }
}
