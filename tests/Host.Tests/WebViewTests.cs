using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Haven.Actors.Configuration;
using Haven.Host.Cli;
using Haven.Host.Web;

namespace Haven.Host.Tests;

/// <summary>
/// The web view of a one-host daemon over HTTP: every endpoint's JSON shape, 404s, read-only, loopback by default, HTTPS and
/// the access token off loopback, and no secret in any answer. Only loopback traffic (a 0.0.0.0 listener is asked on 127.0.0.1).
/// </summary>
public class WebViewTests
{
    internal const string DevicePassword = "fence-pw-5b1c9e";
    internal const string Token = "web-token-7f3a1d2c9b8e";

    private static int FreePort() => Haven.TestKit.LoopbackPorts.Free(ProtocolType.Tcp);

    /// <summary>A daemon config with fencing on (a script device with a password, a pool device) and the given haven.web block.</summary>
    internal static string Config(TempDir dir, string web, string? secrets = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "fence", "good")).FullName;
        File.WriteAllText(Path.Combine(folder, "good.sh"), "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(Path.Combine(folder, "good.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(folder, "good.hosts"), "solo:127.0.0.1\n");
        var secretsFile = dir.WriteConfig("secrets.conf", secrets ?? $"good.password = \"{DevicePassword}\"\nweb.access-token = \"{Token}\"\n");
        return dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = lab, node-name = solo, transport = simulated }
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              split-brain-resolver.stable-after = 100ms
              logging.console = off
              vms.hypervisors.process.state-dir = "{{dir.File("vms")}}"
              fencing {
                enabled = on
                secrets-file = "{{secretsFile}}"
                devices {
                  good { type = script, directory = "{{dir.File("fence")}}", script = good }
                  p1 { type = pool }
                }
                topology { solo = [[good], [p1]] }
              }
              web { {{web}} }
            }
            """);
    }

    private static HttpClient Client() => new() { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string url, List<string> bodies)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        bodies.Add(body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static void HasKeys(JsonElement e, params string[] keys)
    {
        Assert.Equal(JsonValueKind.Object, e.ValueKind);
        foreach (var k in keys) Assert.True(e.TryGetProperty(k, out _), $"no \"{k}\" in {e}");
    }

    [Fact]
    public async Task Api_LoopbackDaemon_ServesEveryEndpointWithItsShapeAndNoSecret()
    {
        using var dir = new TempDir();
        var port = FreePort();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, $"enabled = on, listen = \"127.0.0.1:{port}\""));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var (code, _, err) = await CliRunner.RunAsync("vm", "add", "web-01", "--hypervisor", "process", "--stopped",
            "--config", "[\"/bin/sleep\", \"600\"]", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        await daemon.WaitForEventAsync("cluster.vm-added.v1");

        using var http = Client();
        var url = $"http://127.0.0.1:{port}";
        var bodies = new List<string>();

        foreach (var (path, type, marker) in new[] { ("/", "text/html", "<title>Haven</title>"), ("/app.js", "text/javascript", "EventSource"), ("/app.css", "text/css", "prefers-color-scheme") })
        {
            using var page = await http.GetAsync(url + path);
            var text = await page.Content.ReadAsStringAsync();
            bodies.Add(text);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal(type, page.Content.Headers.ContentType?.MediaType);
            Assert.Contains(marker, text);
            Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
            Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        }

        var status = await GetJsonAsync(http, url + "/api/status", bodies);
        HasKeys(status, "cluster", "node", "pid", "version", "startedAt", "uptimeSeconds", "journal", "eventsJournaled");
        Assert.Equal("solo", status.GetProperty("node").GetString());

        var cluster = await GetJsonAsync(http, url + "/api/cluster", bodies);
        HasKeys(cluster, "cluster", "node", "nodeId", "dc", "quorate", "partition", "members", "streamIndex", "digest");
        Assert.Equal("lab", cluster.GetProperty("cluster").GetString());
        Assert.Equal("solo", cluster.GetProperty("dc").GetString());
        Assert.True(cluster.GetProperty("quorate").GetBoolean());
        Assert.Equal("primary", cluster.GetProperty("partition").GetString());
        var member = Assert.Single(cluster.GetProperty("members").EnumerateArray());
        HasKeys(member, "name", "id", "state");
        Assert.Equal("up", member.GetProperty("state").GetString());

        Assert.Empty((await GetJsonAsync(http, url + "/api/ips", bodies)).EnumerateArray());

        var vm = Assert.Single((await GetJsonAsync(http, url + "/api/vms", bodies)).EnumerateArray());
        HasKeys(vm, "name", "node", "target", "state", "desired", "ha", "failedOn", "reason", "hypervisor", "group");
        Assert.Equal("WEB-01", vm.GetProperty("name").GetString());
        Assert.Equal("stopped", vm.GetProperty("desired").GetString());
        Assert.Equal(JsonValueKind.Null, vm.GetProperty("node").ValueKind);
        Assert.Equal(JsonValueKind.Array, vm.GetProperty("failedOn").ValueKind);
        Assert.Equal("WEB-01", (await GetJsonAsync(http, url + "/api/vms/web-01", bodies)).GetProperty("name").GetString());
        var explain = await GetJsonAsync(http, url + "/api/vms/WEB-01/explain", bodies);
        Assert.Equal("WEB-01", explain.GetProperty("vm").GetString());
        Assert.NotEmpty(explain.GetProperty("lines").EnumerateArray());

        var fence = await GetJsonAsync(http, url + "/api/fence", bodies);
        HasKeys(fence, "enabled", "action", "devices", "topology");
        Assert.True(fence.GetProperty("enabled").GetBoolean());
        Assert.Equal(["good", "p1"], fence.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("name").GetString()));
        var topology = Assert.Single(fence.GetProperty("topology").EnumerateArray());
        Assert.Equal("solo", topology.GetProperty("host").GetString());
        Assert.Equal(JsonValueKind.Array, (await GetJsonAsync(http, url + "/api/fence/history", bodies)).ValueKind);

        var all = (await GetJsonAsync(http, url + "/api/events?limit=1000", bodies)).EnumerateArray().ToList();
        Assert.True(all.Count > 3);
        HasKeys(all[0], "ordering", "timestamp", "persistenceId", "sequenceNr", "type", "fields");
        var firstThree = (await GetJsonAsync(http, url + "/api/events?after=0&limit=3", bodies)).EnumerateArray().Select(e => e.GetProperty("ordering").GetInt64());
        Assert.Equal(all.Take(3).Select(e => e.GetProperty("ordering").GetInt64()), firstThree);
        var lastTwo = (await GetJsonAsync(http, url + "/api/events?last=2", bodies)).EnumerateArray().Select(e => e.GetProperty("ordering").GetInt64()).ToList();
        Assert.Equal(2, lastTwo.Count);
        Assert.True(lastTwo[0] < lastTwo[1] && lastTwo[1] >= all[^1].GetProperty("ordering").GetInt64());

        foreach (var (path, status404) in new[]
                 {
                     ("/api/vms/NOPE", HttpStatusCode.NotFound), ("/api/vms/NOPE/explain", HttpStatusCode.NotFound),
                     ("/api/nothing", HttpStatusCode.NotFound), ("/nothing.html", HttpStatusCode.NotFound),
                     ("/api/events?limit=5000", HttpStatusCode.BadRequest), ("/api/events?after=x", HttpStatusCode.BadRequest),
                 })
        {
            using var response = await http.GetAsync(url + path);
            var body = await response.Content.ReadAsStringAsync();
            bodies.Add(body);
            Assert.True(response.StatusCode == status404, $"{path}: {(int)response.StatusCode} {body}");
            if (path.StartsWith("/api/", StringComparison.Ordinal)) Assert.NotEmpty(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!);
        }

        // Read-only: no method but GET reaches anything, not even the control API's command paths.
        foreach (var (method, path) in new[] { ("POST", "/api/cluster"), ("POST", "/v1/cluster/down"), ("PUT", "/"), ("DELETE", "/api/vms/WEB-01"), ("PATCH", "/api/events") })
        {
            using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), url + path) { Content = new StringContent("{\"node\":\"solo\"}") });
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal("GET", string.Join(", ", response.Content.Headers.Allow));
        }
        using (var v1 = await http.GetAsync(url + "/v1/cluster")) Assert.Equal(HttpStatusCode.NotFound, v1.StatusCode); // the control API is not here

        Assert.NotEmpty(bodies);
        foreach (var body in bodies)
        {
            Assert.DoesNotContain(DevicePassword, body);
            Assert.DoesNotContain(Token, body);
        }
    }

    [Fact]
    public void Settings_Default_AreOffOnLoopback9465()
    {
        var settings = WebSettings.From(Haven.Actors.Configuration.Config.Empty);
        Assert.False(settings.Enabled);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9465), settings.Listen);
        Assert.False(settings.TokenRequired);
        Assert.False(settings.Tls);
    }

    [Theory]
    [InlineData("listen = \"0.0.0.0:9465\"", "haven.web.listen", "set haven.web.tls")]
    [InlineData("listen = \"192.0.2.1:9465\"", "haven.web.listen", "not a loopback address")]
    [InlineData("listen = \"127.0.0.1\"", "haven.web.listen", "expected HOST:PORT")]
    [InlineData("tls.certificate = \"/etc/haven/web.pem\"", "haven.web.tls.certificate", "go together")]
    [InlineData("tls { certificate = \"/nonexistent/c.pem\", key = \"/nonexistent/k.pem\" }", "haven.web.tls.certificate", "does not exist")]
    public async Task ConfigCheck_BadWebSettings_NamesFileLineAndRefusesTheDaemon(string web, string key, string message)
    {
        using var dir = new TempDir();
        var path = Config(dir, $"enabled = on\n{web}");
        var problem = Assert.Single(ConfigVerb.Check(path));
        Assert.StartsWith($"{path}:", problem);
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(path)}:\d+:\d+: {System.Text.RegularExpressions.Regex.Escape(key)}: ", problem);
        Assert.Contains(message, problem);

        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", path);
        Assert.Equal(1, code);
        Assert.Contains(problem, err);
        Assert.Contains("nothing started", err);
        Assert.False(File.Exists(dir.File("journal.db")));
    }

    [Fact]
    public void ConfigCheck_OffLoopbackWithTlsButNoToken_NamesTheSecretsFile()
    {
        using var dir = new TempDir();
        var (cert, keyFile) = WriteCertificate(dir);
        var path = Config(dir, $"listen = \"0.0.0.0:9465\", tls {{ certificate = \"{cert}\", key = \"{keyFile}\" }}",
            secrets: $"good.password = \"{DevicePassword}\"\n");
        var problem = Assert.Single(ConfigVerb.Check(path));
        Assert.Contains("haven.web.listen", problem);
        Assert.Contains("web.access-token", problem);
        Assert.Contains(dir.File("secrets.conf"), problem);
        Assert.DoesNotContain(DevicePassword, problem);
    }

    [Fact]
    public void ConfigCheck_KeyReadableByOthers_IsRefused()
    {
        using var dir = new TempDir();
        var (cert, keyFile) = WriteCertificate(dir);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var problem = Assert.Single(ConfigVerb.Check(Config(dir, $"tls {{ certificate = \"{cert}\", key = \"{keyFile}\" }}")));
        Assert.Contains("haven.web.tls.key", problem);
        Assert.Contains("owner-only", problem);
    }

    [Theory]
    [InlineData("web.access-token = \"short\"", "at least 16 characters")]
    [InlineData("web { access-token = \"0123456789abcdef\", password = \"x\" }", "unknown secret password")]
    [InlineData("web = \"0123456789abcdef\"", "expected { access-token")]
    public void SecretsFile_BadWebEntry_IsRefusedWithoutQuotingIt(string text, string message)
    {
        var e = Assert.Throws<ConfigException>(() => FencingConfig.ParseSecrets(text, "secrets.conf"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("secrets.conf:1:", e.Message);
        Assert.DoesNotContain("0123456789abcdef", e.Message);
    }

    [Fact]
    public void FenceDevice_NamedWeb_IsRefused()
    {
        var problems = FencingConfig.Validate(Haven.Actors.Configuration.HoconParser.Parse("haven.fencing.devices { web { type = pool } }", "h.conf"));
        Assert.Contains(problems, p => p.Path == "haven.fencing.devices.web" && p.Message.Contains("reserved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OffLoopback_HttpsWithToken_AnswersOnlyWithTheTokenAndTradesTheUrlTokenForACookie()
    {
        using var dir = new TempDir();
        var (cert, keyFile) = WriteCertificate(dir);
        var port = FreePort();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir,
            $"enabled = on, listen = \"0.0.0.0:{port}\", tls {{ certificate = \"{cert}\", key = \"{keyFile}\" }}"));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        using var served = X509Certificate2.CreateFromPem(File.ReadAllText(cert));
        var thumbprint = served.Thumbprint;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, c, _, _) => c?.Thumbprint == thumbprint,
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var url = $"https://127.0.0.1:{port}";
        var bodies = new List<string>();

        foreach (var (path, auth) in new[] { ("/api/cluster", null), ("/", null), ("/app.js", null), ("/api/cluster", "Bearer wrong-token-0000000000"), ("/?token=wrong", null) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url + path);
            if (auth is not null) request.Headers.TryAddWithoutValidation("Authorization", auth);
            using var refused = await http.SendAsync(request);
            var body = await refused.Content.ReadAsStringAsync();
            bodies.Add(body);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {(int)refused.StatusCode}");
            Assert.Contains("access token", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        }

        using (var bearer = new HttpRequestMessage(HttpMethod.Get, url + "/api/cluster"))
        {
            bearer.Headers.TryAddWithoutValidation("Authorization", $"Bearer {Token}");
            using var ok = await http.SendAsync(bearer);
            var body = await ok.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("solo", JsonDocument.Parse(body).RootElement.GetProperty("node").GetString());
            bodies.Add(body);
        }

        using var traded = await http.GetAsync($"{url}/?token={Token}");
        Assert.Equal(HttpStatusCode.SeeOther, traded.StatusCode);
        Assert.Equal("/", traded.Headers.Location?.ToString());
        var cookie = Assert.Single(traded.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"{WebListener.CookieName}=", cookie);
        foreach (var attribute in new[] { "httponly", "secure", "samesite=strict" }) Assert.Contains(attribute, cookie.ToLowerInvariant());

        using (var withCookie = new HttpRequestMessage(HttpMethod.Get, url + "/"))
        {
            withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
            using var page = await http.SendAsync(withCookie);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            bodies.Add(await page.Content.ReadAsStringAsync());
        }

        // Plain HTTP on the TLS port gets no page.
        using var plain = Client();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetStringAsync($"http://127.0.0.1:{port}/api/cluster"));

        foreach (var body in bodies)
        {
            Assert.DoesNotContain(DevicePassword, body);
            Assert.DoesNotContain(Token, body);
        }
    }

    /// <summary>A self-signed certificate for 127.0.0.1 as PEM files, the key owner-only.</summary>
    private static (string Certificate, string Key) WriteCertificate(TempDir dir)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=haven-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var cert = dir.WriteConfig("web.pem", certificate.ExportCertificatePem());
        var key = dir.WriteConfig("web.key", rsa.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }
}
