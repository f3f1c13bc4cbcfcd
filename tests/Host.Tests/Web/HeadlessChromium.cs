using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Haven.Host.Tests.Web;

/// <summary>
/// Debian's headless Chromium driven over the Chrome DevTools protocol (a WebSocket, System.Net.WebSockets): one page, JavaScript
/// evaluated in it, screenshots. A fresh profile directory per run; disposing kills the browser and removes the profile, also
/// after a failure. A missing /usr/bin/chromium is an error that says how to install it, never a skip.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _calls = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _receive = Task.CompletedTask;
    private int _nextId;
    private string _session = "";

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Starts Chromium on about:blank with a viewport of <paramref name="width"/>×<paramref name="height"/> and attaches to its page.</summary>
    public static async Task<HeadlessChromium> StartAsync(int width, int height)
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"{Executable} is missing: the web view's browser test needs Debian's chromium (scripts/test-deps.sh installs it: apt-get install chromium)");
        var profile = Directory.CreateTempSubdirectory("haven-chromium-").FullName;
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
                     "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile}",
                     $"--window-size={width},{height}", "about:blank",
                 })
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start");
        }
        catch
        {
            Directory.Delete(profile, recursive: true);
            throw;
        }
        var browser = new HeadlessChromium(process, profile);
        try
        {
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            var endpoint = await browser.ReadDevToolsEndpointAsync();
            await browser._socket.ConnectAsync(endpoint, new CancellationTokenSource(CallTimeout).Token);
            browser._receive = browser.ReceiveAsync();
            var target = await browser.CallAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, session: null);
            var attached = await browser.CallAsync("Target.attachToTarget",
                new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true }, session: null);
            browser._session = attached.GetProperty("sessionId").GetString()!;
            await browser.CallAsync("Page.enable");
            await browser.CallAsync("Runtime.enable");
            await browser.ResizeAsync(width, height, mobile: false);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Chromium prints "DevTools listening on ws://…" on stderr once its port is open.</summary>
    private async Task<Uri> ReadDevToolsEndpointAsync()
    {
        var seen = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var line = await _process.StandardError.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"chromium exited before its DevTools endpoint was open: {seen}");
            seen.AppendLine(line);
            const string marker = "DevTools listening on ";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                _ = _process.StandardError.BaseStream.CopyToAsync(Stream.Null); // keep draining, so chromium never blocks on a full pipe
                return new Uri(line[(at + marker.Length)..].Trim());
            }
        }
    }

    /// <summary>The viewport; <paramref name="mobile"/> also emulates a phone's meta-viewport handling.</summary>
    public Task ResizeAsync(int width, int height, bool mobile) => CallAsync("Emulation.setDeviceMetricsOverride",
        new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = mobile });

    public Task NavigateAsync(string url) => CallAsync("Page.navigate", new JsonObject { ["url"] = url });

    /// <summary>Evaluates an expression in the page (awaiting a promise) and returns its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result.TryGetProperty("exceptionDetails", out var exception))
            throw new InvalidOperationException($"the page threw evaluating {expression}: {exception}");
        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>Re-evaluates <paramref name="expression"/> (a boolean) until it is true, at most <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(string expression, TimeSpan timeout, Func<Task<string>> describe)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            // Waits inside the page for a DOM change or 250 ms, so this loop neither spins nor sleeps on our side.
            var ok = await EvaluateAsync($$"""
                new Promise(done => {
                  const check = () => { try { return !!({{expression}}); } catch { return false; } };
                  if (check()) return done(true);
                  const seen = new MutationObserver(() => { if (check()) { seen.disconnect(); done(true); } });
                  seen.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
                  setTimeout(() => { seen.disconnect(); done(check()); }, 250);
                })
                """);
            if (ok.ValueKind == JsonValueKind.True) return;
            if (deadline.Elapsed > timeout) throw new TimeoutException($"the page never showed {expression} within {timeout.TotalSeconds:0} s; it shows: {await describe()}");
        }
    }

    /// <summary>Emulates the system's colour scheme (<c>prefers-color-scheme</c>): "light" or "dark".</summary>
    public Task PreferColorSchemeAsync(string scheme) => CallAsync("Emulation.setEmulatedMedia",
        new JsonObject { ["features"] = new JsonArray(new JsonObject { ["name"] = "prefers-color-scheme", ["value"] = scheme }) });

    public async Task<byte[]> ScreenshotAsync() =>
        Convert.FromBase64String((await CallAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" })).GetProperty("data").GetString()!);

    private Task<JsonElement> CallAsync(string method, JsonObject? parameters = null) => CallAsync(method, parameters, _session);

    private async Task<JsonElement> CallAsync(string method, JsonObject? parameters, string? session)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (session is { Length: > 0 }) message["sessionId"] = session;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, _stop.Token);
        try
        {
            return await reply.Task.WaitAsync(CallTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"chromium did not answer {method} within {CallTimeout.TotalSeconds:0} s");
        }
        finally
        {
            _calls.TryRemove(id, out _);
        }
    }

    /// <summary>Answers go to their callers by id; events are not needed here and are dropped.</summary>
    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var part = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (part.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                using var doc = JsonDocument.Parse(message.ToArray());
                message.SetLength(0);
                if (!doc.RootElement.TryGetProperty("id", out var idElement) || !_calls.TryGetValue(idElement.GetInt32(), out var reply)) continue;
                if (doc.RootElement.TryGetProperty("error", out var error))
                    reply.TrySetException(new InvalidOperationException($"chromium: {error}"));
                else
                    reply.TrySetResult(doc.RootElement.GetProperty("result").Clone());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        foreach (var call in _calls.Values) call.TrySetException(new InvalidOperationException("the DevTools connection closed"));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // already gone, or the kill is still under way: the profile goes below either way
        }
        finally
        {
            _socket.Dispose();
            _process.Dispose();
            _stop.Dispose();
            await _receive.ContinueWith(_ => { }, TaskScheduler.Default);
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // a late write by a dying child process: try once more
                Directory.Delete(_profile, recursive: true);
            }
        }
    }
}
