using System.Net.Sockets;
using System.Text;
using Haven.Actors.Alerts;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Alerts;

/// <summary>
/// Sends alert mails with a minimal SMTP client of our own over <see cref="TcpClient"/> (RFC 5321): greeting,
/// EHLO (HELO when EHLO is refused), AUTH PLAIN when a user is configured, MAIL FROM, RCPT TO for every
/// recipient, DATA (dot-stuffed, CRLF), QUIT. One connection per mail. Connecting and every reply must
/// come within <c>smtp-timeout</c>. Recipients the server refuses are logged and skipped; the mail fails
/// only when none is accepted. Failures throw <see cref="AlertSendException"/> quoting the command
/// (credentials hidden) and the server's reply. The password is read once from the owner-only password
/// file and never logged. Plain SMTP only (no STARTTLS): use a local relay for remote servers.
/// </summary>
public sealed class SmtpAlertSender : IAlertSender
{
    private readonly AlertSettings settings;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly string heloName;
    private readonly string? password;

    public SmtpAlertSender(AlertSettings settings, ILogger<SmtpAlertSender> logger, TimeProvider? time = null, string? heloName = null)
    {
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
        this.time = time ?? TimeProvider.System;
        this.heloName = string.IsNullOrWhiteSpace(heloName) ? SafeHostName() : heloName;
        if (settings.To.IsEmpty)
        {
            throw new ArgumentException("haven.alerts.to: no recipients", nameof(settings));
        }

        if (settings.SmtpUser.Length > 0)
        {
            password = SmtpPasswordFile.Read(settings.SmtpPasswordFile);
        }
    }

    public async Task SendAsync(AlertMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        var server = $"{settings.SmtpHost}:{settings.SmtpPort}";
        using var client = new TcpClient();
        try
        {
            using (var connect = Step(cancellationToken))
            {
                await client.ConnectAsync(settings.SmtpHost, settings.SmtpPort, connect.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AlertSendException($"SMTP server {server}: no connection within {settings.SmtpTimeout.TotalSeconds:0.###} s");
        }
        catch (SocketException e)
        {
            throw new AlertSendException($"SMTP server {server}: cannot connect: {e.Message}", null, e);
        }

        await using var stream = client.GetStream();
        var session = new Session(stream, this, server, cancellationToken);
        await session.Expect(null, 220).ConfigureAwait(false);

        var ehlo = await session.Command($"EHLO {heloName}").ConfigureAwait(false);
        var capabilities = new List<string>();
        if (ehlo.Code == 250)
        {
            capabilities.AddRange(ehlo.Lines.Skip(1).Select(l => l.ToUpperInvariant()));
        }
        else
        {
            await session.Expect($"HELO {heloName}", 250).ConfigureAwait(false);
        }

        if (password is not null)
        {
            if (!capabilities.Any(c => c.StartsWith("AUTH", StringComparison.Ordinal) && c.Split(' ', '=').Contains("PLAIN")))
            {
                throw new AlertSendException($"SMTP server {server} does not offer AUTH PLAIN, but haven.alerts.smtp-user is set");
            }

            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{settings.SmtpUser}\0{password}"));
            await session.Expect($"AUTH PLAIN {token}", 235, shownAs: "AUTH PLAIN (credentials hidden)").ConfigureAwait(false);
        }

        var eightBit = SmtpMessage.IsEightBit(mail) && capabilities.Contains("8BITMIME");
        await session.Expect($"MAIL FROM:<{settings.From}>{(eightBit ? " BODY=8BITMIME" : "")}", 250).ConfigureAwait(false);
        var accepted = new List<string>();
        foreach (var recipient in settings.To)
        {
            var reply = await session.Command($"RCPT TO:<{recipient}>").ConfigureAwait(false);
            if (reply.Code is 250 or 251)
            {
                accepted.Add(recipient);
            }
            else
            {
                logger.LogWarning("SMTP server {Server} refused recipient {Recipient}: {Reply}", server, recipient, reply.Text);
            }
        }

        if (accepted.Count == 0)
        {
            throw new AlertSendException($"SMTP server {server} refused every recipient ({string.Join(", ", settings.To)}); mail \"{mail.Subject}\" not sent");
        }

        await session.Expect("DATA", 354).ConfigureAwait(false);
        var message = SmtpMessage.Format(mail, settings.From, accepted, time.GetUtcNow(), $"{Guid.NewGuid():N}@{heloName}", eightBit);
        await session.Expect(message + ".", 250, shownAs: "end of DATA").ConfigureAwait(false);
        try
        {
            await session.Command("QUIT").ConfigureAwait(false);
        }
        catch (AlertSendException e)
        {
            logger.LogDebug("SMTP server {Server}: QUIT after a delivered mail failed: {Error}", server, e.Message);
        }
    }

    /// <summary>A token cancelled by the caller or after <c>smtp-timeout</c> on the injected clock.</summary>
    private Deadline Step(CancellationToken cancellationToken) => new(settings.SmtpTimeout, time, cancellationToken);

    private sealed class Deadline : IDisposable
    {
        private readonly CancellationTokenSource timeout;
        private readonly CancellationTokenSource linked;

        public Deadline(TimeSpan after, TimeProvider time, CancellationToken cancellationToken)
        {
            timeout = new CancellationTokenSource(after, time);
            linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        }

        public CancellationToken Token => linked.Token;

        public void Dispose()
        {
            linked.Dispose();
            timeout.Dispose();
        }
    }

    private static string SafeHostName()
    {
        try
        {
            var name = System.Net.Dns.GetHostName();
            return name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-') ? name : "localhost";
        }
        catch (SocketException)
        {
            return "localhost";
        }
    }

    /// <summary>One multi-line reply: the code and every line's text.</summary>
    private sealed record Reply(int Code, IReadOnlyList<string> Lines)
    {
        public string Text => $"{Code} {string.Join(" / ", Lines)}";
    }

    /// <summary>The command/reply conversation on one connection.</summary>
    private sealed class Session(Stream stream, SmtpAlertSender owner, string server, CancellationToken cancellationToken)
    {
        private readonly StreamReader reader = new(stream, new UTF8Encoding(false), false, 4096, leaveOpen: true);

        /// <summary>Sends the command (null: none, just read, as for the greeting) and fails unless the reply has the code.</summary>
        public async Task<Reply> Expect(string? command, int code, string? shownAs = null)
        {
            var reply = await Command(command, shownAs).ConfigureAwait(false);
            if (reply.Code != code)
            {
                var what = command is null ? "greeting" : shownAs ?? command;
                throw new AlertSendException($"SMTP server {server} refused {what}: {reply.Text}", reply.Code);
            }

            return reply;
        }

        public async Task<Reply> Command(string? command, string? shownAs = null)
        {
            var what = command is null ? "greeting" : shownAs ?? command;
            using var step = owner.Step(cancellationToken);
            try
            {
                if (command is not null)
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), step.Token).ConfigureAwait(false);
                    await stream.FlushAsync(step.Token).ConfigureAwait(false);
                }

                return await ReadReply(what, step.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new AlertSendException($"SMTP server {server}: no reply to {what} within {owner.settings.SmtpTimeout.TotalSeconds:0.###} s");
            }
            catch (IOException e)
            {
                throw new AlertSendException($"SMTP server {server}: connection failed during {what}: {e.Message}", null, e);
            }
        }

        private async Task<Reply> ReadReply(string what, CancellationToken token)
        {
            var lines = new List<string>();
            while (true)
            {
                var line = await reader.ReadLineAsync(token).ConfigureAwait(false)
                    ?? throw new AlertSendException($"SMTP server {server} closed the connection during {what}{(lines.Count > 0 ? ": " + string.Join(" / ", lines) : "")}");
                if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code) || (line.Length > 3 && line[3] is not (' ' or '-')))
                {
                    throw new AlertSendException($"SMTP server {server} sent a malformed reply to {what}: \"{line}\"");
                }

                lines.Add(line.Length > 4 ? line[4..] : "");
                if (line.Length == 3 || line[3] == ' ')
                {
                    return new Reply(code, lines);
                }
            }
        }
    }
}
