using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Haven.Host.Cli;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Web;

/// <summary>
/// The read-only web view: its own Kestrel on <c>haven.web.listen</c>, apart from the owner-only control socket. GET
/// only; off loopback HTTPS and the access token (Authorization: Bearer, or the cookie that /?token=… sets).
/// </summary>
internal static class WebListener
{
    public const string CookieName = "haven-web";

    /// <summary>
    /// Reads <c>haven.web</c> from the daemon's config file and, when enabled, starts serving. A bad address, a non-loopback one
    /// without TLS and token, unreadable TLS files or a port in use stop the daemon's start with a <see cref="CliException"/>.
    /// </summary>
    public static async Task<SideListener> StartAsync(string configPath, DaemonState state, ILoggerFactory loggers, CancellationToken ct)
    {
        var settings = SideListener.ReadSettings(configPath, WebSettings.From);
        if (!settings.Enabled) return SideListener.Off;

        X509Certificate2? certificate = null;
        if (settings.Tls)
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(settings.Certificate, settings.Key);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot load {WebSettings.CertificatePath} = {settings.Certificate} with {WebSettings.KeyPath}: {e.Message}");
            }
        }

        var app = SideListener.Build(k => k.Listen(settings.Listen, l =>
        {
            if (certificate is not null) l.UseHttps(certificate);
        }), https: certificate is not null);
        app.Use((http, next) => Guard(http, next, settings));
        WebApi.Map(app, state);
        WebAssets.Map(app);
        var listener = await SideListener.StartAsync(app, settings.Address, $"the web view on {WebSettings.ListenPath} = {settings.Listen}", ct);
        loggers.CreateLogger("Haven.Web").LogInformation("Serving the read-only web view on {Address}{Access}", settings.Address,
            settings.TokenRequired ? " (access token required)" : "");
        return listener;
    }

    /// <summary>Every answer: no caching of state, no framing, no referrer (a token in a URL stays here); reads only; the token off loopback.</summary>
    private static Task Guard(HttpContext http, RequestDelegate next, WebSettings settings)
    {
        var headers = http.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
        if (!HttpMethods.IsGet(http.Request.Method))
        {
            headers.Allow = "GET";
            return Refuse(http, StatusCodes.Status405MethodNotAllowed, "the web view is read-only: GET only");
        }
        if (!settings.TokenRequired) return next(http);
        var token = settings.AccessToken!;
        if (Matches(Bearer(http.Request), token) || Matches(http.Request.Cookies[CookieName], token)) return next(http);
        if (http.Request.Query.TryGetValue("token", out var query) && Matches(query.ToString(), token))
        {
            // Trade the token in the URL for a cookie at once, so it does not stay in the address bar or the history.
            http.Response.Cookies.Append(CookieName, token, new CookieOptions
            {
                HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true,
            });
            http.Response.Headers.Location = http.Request.Path.HasValue ? http.Request.Path.Value : "/";
            http.Response.StatusCode = StatusCodes.Status303SeeOther;
            return Task.CompletedTask;
        }
        headers.WWWAuthenticate = "Bearer realm=\"haven\"";
        return Refuse(http, StatusCodes.Status401Unauthorized,
            "the web view needs its access token (web.access-token in the secrets file): open /?token=TOKEN once, or send Authorization: Bearer TOKEN");
    }

    private static string? Bearer(HttpRequest request)
    {
        var value = request.Headers.Authorization.ToString();
        return value.StartsWith("Bearer ", StringComparison.Ordinal) ? value["Bearer ".Length..].Trim() : null;
    }

    /// <summary>Constant-time over the token's length, so a wrong guess tells nothing of how much of it was right.</summary>
    internal static bool Matches(string? given, string token) =>
        given is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static Task Refuse(HttpContext http, int status, string error)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error }, ServerJson.Options);
    }
}
