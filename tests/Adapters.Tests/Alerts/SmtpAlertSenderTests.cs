using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Haven.Actors.Alerts;
using Haven.Adapters.Alerts;
using Haven.Adapters.Tests.Heuristics;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Tests.Alerts;

/// <summary>The SMTP client against real SMTP servers in Python: the test's own server, and Python 3.11's smtpd module.</summary>
public sealed class SmtpAlertSenderTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset At = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string directory = Directory.CreateTempSubdirectory("hvsmtp-").FullName;
    private readonly RecordingLogger<SmtpAlertSender> log = new();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static AlertMail Mail(string body = "2026-05-01 12:00:00Z fence: Fencing beta (node 2)\n", string subject = "[prod] fence: Fencing beta (node 2)") =>
        new(subject, body, [new AlertRecord(new Alert(AlertKind.Fence, "fence:2", "Fencing beta (node 2)"), At)], IsSummary: false);

    private static AlertSettings Settings(int port, params string[] to) => new()
    {
        SmtpHost = "127.0.0.1",
        SmtpPort = port,
        From = "haven@cluster.example",
        To = to.Length > 0 ? [.. to] : ["ops@example.com"],
        SmtpTimeout = TimeSpan.FromSeconds(10),
    };

    private SmtpAlertSender Sender(AlertSettings settings) => new(settings, log, heloName: "n1.cluster.example");

    private string PasswordFile(string password, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(directory, "smtp.pw");
        File.WriteAllText(path, password + "\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string[] Strings(JsonElement element, string property) => [.. element.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task SendAsync_PlainServer_DeliversEnvelopeHeadersAndBody()
    {
        using var server = await SmtpTestServer.StartAsync();

        await Sender(Settings(server.Port, "ops@example.com", "oncall@example.com")).SendAsync(Mail(), CancellationToken.None).WaitAsync(Bound);

        var m = await server.NextMessageAsync();
        Assert.Equal("n1.cluster.example", m.GetProperty("helo").GetString());
        Assert.Equal("<haven@cluster.example>", m.GetProperty("from").GetString());
        Assert.Equal(["<ops@example.com>", "<oncall@example.com>"], Strings(m, "to"));
        var data = m.GetProperty("data").GetString()!;
        Assert.Contains("Subject: [prod] fence: Fencing beta (node 2)\n", data, StringComparison.Ordinal);
        Assert.Contains("From: haven@cluster.example\n", data, StringComparison.Ordinal);
        Assert.Contains("To: ops@example.com, oncall@example.com\n", data, StringComparison.Ordinal);
        Assert.Contains("\n\n2026-05-01 12:00:00Z fence: Fencing beta (node 2)", data, StringComparison.Ordinal);
        Assert.Equal(["EHLO n1.cluster.example", "MAIL FROM:<haven@cluster.example>", "RCPT TO:<ops@example.com>", "RCPT TO:<oncall@example.com>", "DATA"], Strings(m, "commands"));
        Assert.Equal("", server.Errors);
    }

    [Fact]
    public async Task SendAsync_BodyWithDotLines_IsDotStuffedAndArrivesUnchanged()
    {
        using var server = await SmtpTestServer.StartAsync();
        const string Body = "first\n.\n..two dots\n.hidden\nlast";

        await Sender(Settings(server.Port)).SendAsync(Mail(Body), CancellationToken.None).WaitAsync(Bound);

        var data = (await server.NextMessageAsync()).GetProperty("data").GetString()!;
        Assert.EndsWith("\n\nfirst\n.\n..two dots\n.hidden\nlast", data, StringComparison.Ordinal);
        Assert.Equal("", server.Errors);
    }

    [Fact]
    public async Task SendAsync_WithUserAndPasswordFile_AuthenticatesWithPlain()
    {
        using var server = await SmtpTestServer.StartAsync("--auth", "haven:s3cret pass");
        var settings = Settings(server.Port) with { SmtpUser = "haven", SmtpPasswordFile = PasswordFile("s3cret pass") };

        await Sender(settings).SendAsync(Mail(), CancellationToken.None).WaitAsync(Bound);

        var m = await server.NextMessageAsync();
        Assert.Equal("haven", m.GetProperty("auth").GetString());
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendAsync_WrongPassword_FailsWithTheServerReplyAndNeverShowsThePassword()
    {
        using var server = await SmtpTestServer.StartAsync("--auth", "haven:right");
        var settings = Settings(server.Port) with { SmtpUser = "haven", SmtpPasswordFile = PasswordFile("wrong-secret") };

        var e = await Assert.ThrowsAsync<AlertSendException>(() => Sender(settings).SendAsync(Mail(), CancellationToken.None).WaitAsync(Bound));

        Assert.Equal(535, e.ReplyCode);
        Assert.Contains("AUTH PLAIN (credentials hidden)", e.Message, StringComparison.Ordinal);
        Assert.Contains("535 5.7.8 Authentication credentials invalid", e.Message, StringComparison.Ordinal);
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0haven\0wrong-secret"));
        Assert.DoesNotContain(token, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, l => l.Message.Contains("wrong-secret", StringComparison.Ordinal) || l.Message.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_PasswordFileReadableByOthers_IsRefused()
    {
        var settings = Settings(25) with { SmtpUser = "haven", SmtpPasswordFile = PasswordFile("pw", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead) };

        var e = Assert.Throws<InvalidOperationException>(() => Sender(settings));

        Assert.Contains("owner-only", e.Message, StringComparison.Ordinal);
        Assert.Contains(settings.SmtpPasswordFile, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_PasswordFileOwnedByAnotherUser_IsRefused()
    {
        var settings = Settings(25) with { SmtpUser = "haven", SmtpPasswordFile = PasswordFile("pw") };
        Haven.Adapters.Tests.Configuration.FileTrustTests.Chown(settings.SmtpPasswordFile, 65534);

        var e = Assert.Throws<InvalidOperationException>(() => Sender(settings));

        Assert.Contains($"haven.alerts.smtp-password-file: {settings.SmtpPasswordFile} is owned by uid 65534, not root", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_OneRecipientRefused_DeliversToTheOthersAndLogsTheRefusal()
    {
        using var server = await SmtpTestServer.StartAsync("--reject-rcpt", "nobody");

        await Sender(Settings(server.Port, "nobody@example.com", "ops@example.com")).SendAsync(Mail(), CancellationToken.None).WaitAsync(Bound);

        var m = await server.NextMessageAsync();
        Assert.Equal(["<ops@example.com>"], Strings(m, "to"));
        Assert.Contains(log.At(LogLevel.Warning), w => w.Contains("nobody@example.com", StringComparison.Ordinal) && w.Contains("550", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendAsync_EveryRecipientRefused_FailsNamingThem()
    {
        using var server = await SmtpTestServer.StartAsync("--reject-rcpt", "example.com");

        var e = await Assert.ThrowsAsync<AlertSendException>(() => Sender(Settings(server.Port, "a@example.com")).SendAsync(Mail(), CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("refused every recipient (a@example.com)", e.Message, StringComparison.Ordinal);
        Assert.False(server.TryTakeMessage(out _));
    }

    [Fact]
    public async Task SendAsync_EhloRefused_FallsBackToHelo()
    {
        using var server = await SmtpTestServer.StartAsync("--no-ehlo");

        await Sender(Settings(server.Port)).SendAsync(Mail(), CancellationToken.None).WaitAsync(Bound);

        var m = await server.NextMessageAsync();
        Assert.Contains("HELO n1.cluster.example", Strings(m, "commands"));
    }

    [Fact]
    public async Task SendAsync_NonAsciiWithout8BitMime_SendsBase64AndEncodedSubject()
    {
        using var server = await SmtpTestServer.StartAsync("--no-8bit");

        await Sender(Settings(server.Port)).SendAsync(Mail("Knoten größe ✓\n", "[prod] fence: größe"), CancellationToken.None).WaitAsync(Bound);

        var data = (await server.NextMessageAsync()).GetProperty("data").GetString()!;
        Assert.Contains("Content-Transfer-Encoding: base64", data, StringComparison.Ordinal);
        Assert.Contains("Subject: =?utf-8?B?", data, StringComparison.Ordinal);
        var encoded = data[(data.IndexOf("\n\n", StringComparison.Ordinal) + 2)..].Replace("\n", "", StringComparison.Ordinal);
        Assert.Equal("Knoten größe ✓\n", Encoding.UTF8.GetString(Convert.FromBase64String(encoded)));
    }

    [Fact]
    public async Task SendAsync_ServerNeverGreets_FailsAtTheTimeout()
    {
        using var server = await SmtpTestServer.StartAsync("--silent");
        var settings = Settings(server.Port) with { SmtpTimeout = TimeSpan.FromMilliseconds(500) };

        var e = await Assert.ThrowsAsync<AlertSendException>(() => Sender(settings).SendAsync(Mail(), CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("no reply to greeting within 0.5 s", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_NothingListening_FailsNamingTheServer()
    {
        // Free now, and below the ephemeral range that servers on port 0 are given: nobody listens there.
        var port = Haven.TestKit.LoopbackPorts.Free(System.Net.Sockets.ProtocolType.Tcp);

        var e = await Assert.ThrowsAsync<AlertSendException>(() => Sender(Settings(port)).SendAsync(Mail(), CancellationToken.None).WaitAsync(Bound));

        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("cannot connect", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_PythonSmtpdDebuggingServer_PrintsTheMail()
    {
        // Python 3.11's own smtpd module (deprecated, still shipped): DebuggingServer prints each mail to stdout.
        const string Program = "import smtpd, asyncore; s = smtpd.DebuggingServer(('127.0.0.1', 0), None); "
            + "print('PORT', s.socket.getsockname()[1], flush=True); asyncore.loop()";
        using var python = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-u", "-W", "ignore", "-c", Program])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var first = await python.StandardOutput.ReadLineAsync().WaitAsync(Bound) ?? throw new InvalidOperationException(await python.StandardError.ReadToEndAsync());
            var port = int.Parse(first.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

            await Sender(Settings(port)).SendAsync(Mail("line one\n.dotted line\nend\n"), CancellationToken.None).WaitAsync(Bound);

            var printed = new List<string>();
            while (await python.StandardOutput.ReadLineAsync().WaitAsync(Bound) is { } line && !line.Contains("END MESSAGE", StringComparison.Ordinal))
            {
                printed.Add(line);
            }

            Assert.Contains("b'Subject: [prod] fence: Fencing beta (node 2)'", printed);
            Assert.Contains("b'.dotted line'", printed);
            Assert.Equal("b'end'", printed[^1]);
        }
        finally
        {
            python.Kill();
            python.WaitForExit(5_000);
        }
    }

    [Fact]
    public void Format_LongLineAndBareNewlines_CrlfOnlyAndNoLineOver998()
    {
        var text = SmtpMessage.Format(Mail(new string('x', 2500) + "\rnext\n"), "a@b.c", ["d@e.f"], At, "id@x", eightBitMime: false);

        var lines = text.Split("\r\n");
        Assert.DoesNotContain(lines, l => l.Contains('\n') || l.Contains('\r'));
        Assert.All(lines, l => Assert.True(l.Length <= 998, $"line of {l.Length}"));
        Assert.Equal(2500, lines.Where(l => l.StartsWith('x')).Sum(l => l.Length));
        Assert.Contains("Date: Fri, 01 May 2026 12:00:00 +0000", lines);
    }
}
