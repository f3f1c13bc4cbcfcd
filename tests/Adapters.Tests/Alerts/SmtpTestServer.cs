using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace Haven.Adapters.Tests.Alerts;

/// <summary>
/// A small SMTP server in Python (socketserver, no third-party module) started per test on a loopback port it
/// picks itself. Every received transaction is printed to stdout as one JSON object (envelope, commands with
/// AUTH hidden, and the data with dot-stuffing undone), read here into a channel. It checks CRLF line ends
/// and reports violations as {"error": ...}. Options: --auth USER:PASS, --reject-rcpt SUBSTRING, --no-ehlo,
/// --no-8bit, --silent (accepts connections and never greets).
/// </summary>
internal sealed class SmtpTestServer : IDisposable
{
    private const string Script = """
        import argparse, base64, json, socketserver, sys
        p = argparse.ArgumentParser()
        p.add_argument('--auth'); p.add_argument('--reject-rcpt')
        p.add_argument('--no-ehlo', action='store_true'); p.add_argument('--no-8bit', action='store_true')
        p.add_argument('--silent', action='store_true')
        a = p.parse_args()
        def emit(o):
            sys.stdout.write(json.dumps(o) + "\n"); sys.stdout.flush()
        class H(socketserver.StreamRequestHandler):
            def send(self, line):
                self.wfile.write((line + "\r\n").encode()); self.wfile.flush()
            def fresh(self, old=None):
                return {"helo": old and old["helo"], "auth": old and old["auth"], "from": None, "to": [], "commands": [], "data": None}
            def handle(self):
                if a.silent:
                    self.rfile.read(); return
                self.send("220 test.example ESMTP ready")
                tx = self.fresh()
                while True:
                    raw = self.rfile.readline()
                    if not raw: return
                    if not raw.endswith(b"\r\n"): emit({"error": "command without CRLF: %r" % raw})
                    line = raw.decode("utf-8").rstrip("\r\n")
                    cmd = line.split(" ", 1)[0].upper()
                    tx["commands"].append("AUTH ***" if cmd == "AUTH" else line)
                    if cmd == "EHLO":
                        if a.no_ehlo: self.send("502 5.5.1 EHLO not implemented"); continue
                        tx["helo"] = line[5:]
                        caps = ["250-test.example greets " + line[5:], "250-PIPELINING"]
                        if not a.no_8bit: caps.append("250-8BITMIME")
                        if a.auth: caps.append("250-AUTH LOGIN PLAIN")
                        caps.append("250 HELP")
                        for c in caps: self.send(c)
                    elif cmd == "HELO":
                        tx["helo"] = line[5:]; self.send("250 test.example")
                    elif cmd == "AUTH":
                        parts = line.split(" ")
                        if len(parts) != 3 or parts[1].upper() != "PLAIN": self.send("504 5.5.4 unrecognized"); continue
                        _, user, pw = base64.b64decode(parts[2]).decode().split("\0")
                        if a.auth == user + ":" + pw: tx["auth"] = user; self.send("235 2.7.0 Authentication successful")
                        else: self.send("535 5.7.8 Authentication credentials invalid")
                    elif cmd == "MAIL":
                        if a.auth and not tx["auth"]: self.send("530 5.7.0 Authentication required"); continue
                        tx["from"] = line[10:]; self.send("250 2.1.0 Ok")
                    elif cmd == "RCPT":
                        addr = line[8:]
                        if a.reject_rcpt and a.reject_rcpt in addr:
                            self.send("550 5.1.1 %s: Recipient address rejected: User unknown" % addr); continue
                        tx["to"].append(addr); self.send("250 2.1.5 Ok")
                    elif cmd == "DATA":
                        if not tx["to"]: self.send("554 5.5.1 No valid recipients"); continue
                        self.send("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while True:
                            raw = self.rfile.readline()
                            if raw == b".\r\n" or not raw: break
                            if not raw.endswith(b"\r\n"): emit({"error": "data line without CRLF: %r" % raw})
                            l = raw[:-2]
                            if l.startswith(b"."): l = l[1:]
                            lines.append(l.decode("utf-8"))
                        tx["data"] = "\n".join(lines)
                        emit(tx); self.send("250 2.0.0 Ok: queued")
                        tx = self.fresh(tx)
                    elif cmd == "RSET":
                        tx = self.fresh(tx); self.send("250 2.0.0 Ok")
                    elif cmd == "QUIT":
                        self.send("221 2.0.0 Bye"); return
                    else:
                        self.send("500 5.5.2 unknown command")
        socketserver.ThreadingTCPServer.daemon_threads = True
        srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
        emit({"port": srv.server_address[1]})
        srv.serve_forever()
        """;

    private readonly string scriptPath = Path.Combine(Path.GetTempPath(), $"hv-smtp-{Guid.NewGuid():N}.py");
    private readonly Process process;
    private readonly Channel<JsonElement> received = Channel.CreateUnbounded<JsonElement>();
    private readonly TaskCompletionSource<int> port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> errors = [];

    private SmtpTestServer(params string[] options)
    {
        File.WriteAllText(scriptPath, Script);
        var start = new ProcessStartInfo("/usr/bin/python3", ["-u", scriptPath, .. options])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (errors) errors.Add(e.Data);
        };
        process.Exited += (_, _) => port.TrySetException(new InvalidOperationException($"SMTP test server exited: {Errors}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port => port.Task.Result;

    /// <summary>What the server wrote to stderr and the protocol violations it reported.</summary>
    public string Errors { get { lock (errors) return string.Join("\n", errors); } }

    public static async Task<SmtpTestServer> StartAsync(params string[] options)
    {
        var server = new SmtpTestServer(options);
        try
        {
            await server.port.Task.WaitAsync(TimeSpan.FromSeconds(20));
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public async Task<JsonElement> NextMessageAsync() => await received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));

    public bool TryTakeMessage(out JsonElement message) => received.Reader.TryRead(out message);

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5_000);
            }
        }
        finally
        {
            process.Dispose();
            File.Delete(scriptPath);
        }
    }

    private void OnLine(string? line)
    {
        if (string.IsNullOrEmpty(line)) return;
        var json = JsonDocument.Parse(line).RootElement.Clone();
        if (json.TryGetProperty("port", out var p)) port.TrySetResult(p.GetInt32());
        else if (json.TryGetProperty("error", out var e)) lock (errors) errors.Add(e.GetString()!);
        else received.Writer.TryWrite(json);
    }
}
