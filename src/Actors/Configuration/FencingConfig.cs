using System.Collections.Immutable;
using System.Globalization;
using Haven.Actors.Fencing;

namespace Haven.Actors.Configuration;

/// <summary>
/// Reads and checks <c>haven.fencing</c> (settings, devices, topology) and the fencing secrets file into
/// <see cref="FencingSettings"/> and <see cref="FencingSecrets"/>. Every problem names its key and where
/// it was written; secret values never appear in a message.
/// </summary>
public static partial class FencingConfig
{
    public const string Root = "haven.fencing";
    public const string DevicesPath = Root + ".devices";
    public const string TopologyPath = Root + ".topology";
    public const int DefaultSnmpPort = 161;

    private static readonly string[] Types = ["snmp-ibm-amm", "snmp-ibm-cmm", "fence-agent", "script", "pool", "watchdog"];
    public const string WatchdogPath = Root + ".watchdog";

    private static readonly string[] SnmpFields = ["type", "address", "version", "user", "auth-protocol", "priv-protocol", "no-softoff", "timeout", "retries", "soft-off-timeout", "off-timeout", "on-timeout", "poll-interval"];
    private static readonly string[] AgentFields = ["type", "agent", "ipaddr", "login", "plugs", "send-plug", "options", "timeout"];
    private static readonly string[] ScriptFields = ["type", "directory", "script", "timeout"];
    private static readonly string[] PoolFields = ["type"];
    private static readonly string[] WatchdogFields = ["type", "watchdog-timeout", "safety-factor"];
    private static readonly string[] SecretFields = ["community", "password", "auth-password", "priv-password"];

    /// <summary>The secrets file's entry that is no device: <c>web.access-token</c>, the web view's token (haven.web).</summary>
    public const string WebSecretsEntry = "web";
    public const string WebAccessTokenField = "access-token";

    /// <summary>Device, script and host names: one or more of <c>[A-Za-z0-9._-]</c>.</summary>
    public static bool IsValidName(string name) => ClusterConfig.IsValidNodeName(name);

    /// <summary>The settings; throws <see cref="ConfigException"/> at the first problem.</summary>
    public static FencingSettings Read(Config config)
    {
        return ConfigProblems.ReadOrThrow(config.WithFallback(HavenConfig.Reference), Parse);
    }

    /// <summary>
    /// Every problem of <c>haven.fencing</c>. With <paramref name="nodeNames"/> (the cluster's nodes), a
    /// topology host that is not a node is an error, and so is a node without a topology while fencing is enabled.
    /// </summary>
    public static IReadOnlyList<ConfigProblem> Validate(Config config, IReadOnlyCollection<string>? nodeNames = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<ConfigProblem>();
        var full = config.WithFallback(HavenConfig.Reference);
        var settings = ConfigProblems.Collect(full, Parse, problems);
        if (nodeNames is { Count: > 0 })
        {
            foreach (var host in settings.Topology.Hosts.Keys.Where(h => h != FencingTopology.AnyHost && !nodeNames.Contains(h)))
            {
                problems.Add(new ConfigProblem($"{TopologyPath}.{host}", $"host {host} is not in haven.cluster.nodes ({string.Join(", ", nodeNames)})",
                    full.Origin($"{TopologyPath}.{ConfigPath.Render([host])}").ToString()));
            }

            if (settings.Enabled)
            {
                foreach (var node in nodeNames.Where(n => settings.Topology.LevelsFor(n).IsEmpty))
                {
                    problems.Add(new ConfigProblem(TopologyPath, $"fencing is enabled but node {node} has no fencing topology (add {node} or \"*\")",
                        full.Origin(TopologyPath).ToString()));
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// Parses the secrets file: <c>DEVICE.community = "…"</c>, <c>DEVICE.password = "…"</c>, and for
    /// SNMPv3 devices <c>DEVICE.auth-password = "…"</c> and <c>DEVICE.priv-password = "…"</c>.
    /// </summary>
    public static FencingSecrets ParseSecrets(string text, string sourceName)
    {
        var config = HoconParser.Parse(text, sourceName);
        var devices = ImmutableDictionary.CreateBuilder<string, FenceDeviceSecrets>(StringComparer.Ordinal);
        string? webToken = null;
        foreach (var device in config.Root.Keys)
        {
            if (device == WebSecretsEntry)
            {
                webToken = WebToken(config.Root[device]);
                continue;
            }

            if (config.Root[device] is not HoconObject entry)
            {
                throw new ConfigException(device, config.Root[device].Origin, "expected an object such as { community = \"…\" } or { password = \"…\" }");
            }

            string? Secret(string field)
            {
                if (!entry.TryGetValue(field, out var value))
                {
                    return null;
                }

                return value is HoconScalar { ScalarKind: HoconValueKind.String or HoconValueKind.Number } s
                    ? s.Text
                    : throw new ConfigException($"{device}.{field}", value.Origin, $"expected a string, found {value.Kind.ToString().ToLowerInvariant()}");
            }

            foreach (var key in entry.Keys.Where(k => !SecretFields.Contains(k)))
            {
                throw new ConfigException($"{device}.{key}", entry[key].Origin, $"unknown secret {key}; known: {string.Join(", ", SecretFields)}");
            }

            devices[device] = new FenceDeviceSecrets(Secret("community"), Secret("password"))
            {
                AuthPassword = Secret("auth-password"),
                PrivPassword = Secret("priv-password"),
            };
        }

        return new FencingSecrets(devices.ToImmutable()) { WebAccessToken = webToken };
    }

    /// <summary>The <c>web { access-token = "…" }</c> entry: one non-empty string and nothing else.</summary>
    private static string WebToken(HoconValue value)
    {
        if (value is not HoconObject entry || !entry.TryGetValue(WebAccessTokenField, out var token))
        {
            throw new ConfigException(WebSecretsEntry, value.Origin, $"expected {{ {WebAccessTokenField} = \"…\" }}");
        }

        foreach (var key in entry.Keys.Where(k => k != WebAccessTokenField))
        {
            throw new ConfigException($"{WebSecretsEntry}.{key}", entry[key].Origin, $"unknown secret {key}; the {WebSecretsEntry} entry holds {WebAccessTokenField} only");
        }

        return token is HoconScalar { ScalarKind: HoconValueKind.String } s && s.Text.Length >= 16
            ? s.Text
            : throw new ConfigException($"{WebSecretsEntry}.{WebAccessTokenField}", token.Origin, "expected a string of at least 16 characters");
    }

    /// <summary>What the devices need from the secrets file and do not find there, and secrets for unknown devices.</summary>
    public static IReadOnlyList<string> CheckSecrets(FencingSettings settings, FencingSecrets secrets)
    {
        var problems = new List<string>();
        foreach (var device in settings.Devices.Values.OfType<SnmpFenceDeviceSettings>())
        {
            var secret = secrets.For(device.Name);
            if (device.V3 is not { } v3)
            {
                if (secret.Community is not { Length: > 0 })
                {
                    problems.Add($"device {device.Name} ({device.Type}) needs {device.Name}.community in the secrets file");
                }

                continue;
            }

            CheckPassword(device, v3, "auth-password", secret.AuthPassword);
            if (v3.Priv != SnmpPrivProtocol.None)
            {
                CheckPassword(device, v3, "priv-password", secret.PrivPassword);
            }
        }

        problems.AddRange(secrets.Devices.Keys.Where(d => !settings.Devices.ContainsKey(d))
            .Select(d => $"the secrets file has secrets for {d}, which is not in {DevicesPath}"));
        return problems;

        void CheckPassword(SnmpFenceDeviceSettings device, SnmpV3Settings v3, string key, string? password)
        {
            if (password is not { Length: > 0 })
            {
                problems.Add($"device {device.Name} ({device.Type}, SNMPv3 user {v3.User}) needs {device.Name}.{key} in the secrets file");
            }
            else if (password.Length < MinSnmpV3PasswordLength)
            {
                problems.Add($"device {device.Name}: {device.Name}.{key} in the secrets file is shorter than {MinSnmpV3PasswordLength} characters (SNMPv3 refuses it)");
            }
        }
    }

    /// <summary>The shortest SNMPv3 password an agent accepts (RFC 3414, net-snmp).</summary>
    public const int MinSnmpV3PasswordLength = 8;

    internal static FencingSettings Parse(Config config, ReportProblem report)
    {
        var action = config.GetString($"{Root}.action") switch
        {
            "reboot" => FenceAction.Reboot,
            _ => FenceAction.Off,
        };
        var watchdog = ParseWatchdog(config, report);
        var devices = ParseDevices(config, watchdog, report);
        var settings = new FencingSettings
        {
            Enabled = config.GetBoolean($"{Root}.enabled"),
            Action = action,
            Policy = FencingRulesConfig.Read(config),
            RebootCommand = [.. config.GetStringList(FencingRulesConfig.RebootCommandKey)],
            SecretsFile = config.GetString($"{Root}.secrets-file"),
            DeviceTimeout = config.GetDuration($"{Root}.device-timeout"),
            DeviceRetries = config.GetInt($"{Root}.device-retries"),
            Devices = devices,
            Topology = ParseTopology(config, devices, report),
            Watchdog = watchdog,
        };
        Check(settings.Policy.MinHosts >= 1, $"{Root}.min-hosts", "must be at least 1");
        Check(settings.Policy.PriorityDelay >= TimeSpan.Zero, $"{Root}.priority-delay", "must not be negative");
        Check(settings.DeviceTimeout > TimeSpan.Zero, $"{Root}.device-timeout", "must be greater than zero");
        Check(settings.DeviceRetries >= 0, $"{Root}.device-retries", "must not be negative");
        var rebootProblem = FencingRulesConfig.RebootCommandProblem(settings.RebootCommand);
        Check(rebootProblem is null, FencingRulesConfig.RebootCommandKey, rebootProblem ?? "");
        Check(!settings.Enabled || settings.Devices.Count > 0, DevicesPath, "fencing is enabled but no device is configured");
        return settings;

        void Check(bool ok, string path, string message)
        {
            if (!ok)
            {
                report(path, message, config.Origin(path));
            }
        }
    }

    private static FencingTopology ParseTopology(Config config, ImmutableDictionary<string, FenceDeviceSettings> devices, ReportProblem report)
    {
        var hosts = ImmutableDictionary.CreateBuilder<string, ImmutableArray<ImmutableArray<string>>>(StringComparer.Ordinal);
        if (config.GetValue(TopologyPath) is not HoconObject all)
        {
            return FencingTopology.Empty;
        }

        foreach (var host in all.Keys)
        {
            var at = $"{TopologyPath}.{ConfigPath.Render([host])}";
            if (host != FencingTopology.AnyHost && !IsValidName(host))
            {
                report(at, $"invalid host name \"{host}\"; use a node name or \"*\"", all[host].Origin);
                continue;
            }

            const string Shape = "expected a list of levels, each a list of device names: [[amm1], [pdu1, pdu2]]";
            if (all[host] is not HoconList { Items.Count: > 0 } levels)
            {
                report(at, $"{Shape}, found {all[host].Describe()}{(all[host] is HoconList ? " (empty)" : "")}", all[host].Origin);
                continue;
            }

            var parsed = ImmutableArray.CreateBuilder<ImmutableArray<string>>();
            var ok = true;
            for (var i = 0; i < levels.Items.Count; i++)
            {
                if (levels.Items[i] is not HoconList { Items.Count: > 0 } level)
                {
                    report($"{at}[{i}]", $"{Shape}, found {levels.Items[i].Describe()}{(levels.Items[i] is HoconList ? " (empty)" : "")}", levels.Items[i].Origin);
                    ok = false;
                    continue;
                }

                var names = ImmutableArray.CreateBuilder<string>();
                for (var j = 0; j < level.Items.Count; j++)
                {
                    var item = level.Items[j];
                    if (item is not HoconScalar { ScalarKind: HoconValueKind.String } s)
                    {
                        report($"{at}[{i}][{j}]", $"expected a device name, found {item.Describe()}", item.Origin);
                        ok = false;
                    }
                    else if (!devices.ContainsKey(s.Text))
                    {
                        var nearest = Levenshtein.Nearest(s.Text, devices.Keys);
                        report($"{at}[{i}][{j}]", $"device {s.Text} is not in {DevicesPath}" + (nearest is null ? "" : $"; did you mean {nearest}?"), item.Origin);
                        ok = false;
                    }
                    else
                    {
                        names.Add(s.Text);
                    }
                }

                parsed.Add(names.ToImmutable());
            }

            if (ok)
            {
                hosts[host] = parsed.ToImmutable();
            }
        }

        return new FencingTopology(hosts.ToImmutable());
    }

    /// <summary><c>HOST[:PORT]</c> or <c>[IPv6]:PORT</c>; the port defaults to 161.</summary>
    public static bool TryParseAddress(string text, out string host, out int port, out string error)
    {
        host = text;
        port = DefaultSnmpPort;
        error = "";
        var portText = "";
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            host = close > 1 ? text[1..close] : "";
            portText = close > 0 && close + 1 < text.Length && text[close + 1] == ':' ? text[(close + 2)..] : close + 1 == text.Length ? "" : "?";
        }
        else if (text.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
        {
            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c == '/'))
        {
            error = $"invalid address \"{text}\"; expected HOST or HOST:PORT, e.g. \"amm1.example.org\" or \"192.0.2.5:161\"";
            return false;
        }

        if (portText.Length > 0 && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"invalid port in \"{text}\"; expected a number from 1 to 65535";
            return false;
        }

        return true;
    }
}
