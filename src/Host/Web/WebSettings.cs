using System.Net;
using Haven.Actors.Configuration;
using Haven.Adapters.Fencing;
using Haven.Host.Metrics;

namespace Haven.Host.Web;

/// <summary>
/// <c>haven.web</c>: whether the read-only web view runs, where it listens, its TLS files and (off loopback) the
/// access token from the secrets file's <c>web.access-token</c>. The token never appears in a message.
/// </summary>
internal sealed record WebSettings(bool Enabled, IPEndPoint Listen, string Certificate, string Key, string? AccessToken)
{
    public const string Root = "haven.web";
    public const string EnabledPath = Root + ".enabled";
    public const string ListenPath = Root + ".listen";
    public const string CertificatePath = Root + ".tls.certificate";
    public const string KeyPath = Root + ".tls.key";
    private const string SecretsPath = FencingConfig.Root + ".secrets-file";

    private const UnixFileMode NotOwner = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public bool Loopback => IPAddress.IsLoopback(Listen.Address);

    public bool Tls => Certificate.Length > 0;

    /// <summary>Off loopback every request must carry the access token.</summary>
    public bool TokenRequired => !Loopback;

    /// <summary>Where the page is served: http(s)://HOST:PORT/.</summary>
    public Uri Address => new($"{(Tls ? "https" : "http")}://{Listen}/");

    /// <summary>
    /// Reads <c>haven.web</c> (the reference under <paramref name="config"/>). Throws <see cref="ConfigException"/> naming the key and
    /// where it was written when the address is malformed, only one of the TLS files is set, a TLS file is missing or the key is not
    /// owner-only, or the address is not loopback without TLS and an access token in <c>haven.fencing.secrets-file</c>.
    /// </summary>
    public static WebSettings From(Config config)
    {
        var c = config.WithFallback(HavenConfig.Reference);
        var enabled = c.GetBoolean(EnabledPath);
        var text = c.GetString(ListenPath);
        if (!MetricsSettings.TryParseEndPoint(text, out var endPoint, out var reason))
            throw new ConfigException(ListenPath, c.Origin(ListenPath), $"invalid value \"{text}\": {reason}");
        var certificate = c.GetString(CertificatePath);
        var key = c.GetString(KeyPath);
        if ((certificate.Length > 0) != (key.Length > 0))
        {
            var set = certificate.Length > 0 ? CertificatePath : KeyPath;
            throw new ConfigException(set, c.Origin(set), $"{CertificatePath} and {KeyPath} go together: set both (PEM files) or neither");
        }
        if (certificate.Length > 0)
        {
            if (!File.Exists(certificate)) throw new ConfigException(CertificatePath, c.Origin(CertificatePath), $"certificate file {certificate} does not exist");
            if (!File.Exists(key)) throw new ConfigException(KeyPath, c.Origin(KeyPath), $"key file {key} does not exist");
            var mode = File.GetUnixFileMode(key);
            if ((mode & NotOwner) != 0)
                throw new ConfigException(KeyPath, c.Origin(KeyPath),
                    $"key file {key} has mode {Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0')}; it must be owner-only (chmod 600)");
        }
        var settings = new WebSettings(enabled, endPoint, certificate, key, null);
        if (settings.Loopback) return settings;

        var offHost = $"\"{text}\" is not a loopback address: the web view is served off this host only over HTTPS with an access token";
        if (!settings.Tls)
            throw new ConfigException(ListenPath, c.Origin(ListenPath), $"{offHost}; set {Root}.tls {{ certificate, key }}");
        var secretsFile = c.GetString(SecretsPath);
        var token = secretsFile.Length > 0 ? FencingSecretsFile.Load(secretsFile).WebAccessToken : null;
        if (token is null)
            throw new ConfigException(ListenPath, c.Origin(ListenPath),
                $"{offHost}; put {FencingConfig.WebSecretsEntry}.{FencingConfig.WebAccessTokenField} = \"…\" (16 characters or more) in the secrets file ({SecretsPath}{(secretsFile.Length > 0 ? $" = {secretsFile}" : ", not set")})");
        return settings with { AccessToken = token };
    }

    /// <summary>The problem <see cref="From"/> would throw, for `haven config check`; empty when the web view can start.</summary>
    public static IReadOnlyList<string> Check(Config config)
    {
        try
        {
            From(config);
            return [];
        }
        catch (ConfigException e)
        {
            return [e.Message];
        }
    }

    /// <summary>Never the token.</summary>
    public override string ToString() => $"WebSettings {{ Enabled = {Enabled}, Listen = {Listen}, Tls = {Tls}, Token = {(AccessToken is null ? "none" : "set")} }}";
}
