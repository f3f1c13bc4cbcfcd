using System.Collections.Immutable;
using System.Globalization;
using Haven.Actors.Fencing;

namespace Haven.Actors.Configuration;

/// <summary>The entries of <c>haven.fencing.devices</c>: one reader per device type.</summary>
public static partial class FencingConfig
{
    private static ImmutableDictionary<string, FenceDeviceSettings> ParseDevices(Config config, WatchdogSettings watchdog, ReportProblem report)
    {
        var devices = ImmutableDictionary.CreateBuilder<string, FenceDeviceSettings>(StringComparer.Ordinal);
        if (config.GetValue(DevicesPath) is not HoconObject all)
        {
            return devices.ToImmutable();
        }

        foreach (var name in all.Keys)
        {
            var at = $"{DevicesPath}.{ConfigPath.Render([name])}";
            if (!IsValidName(name))
            {
                report(at, $"invalid device name \"{name}\"; use letters, digits, '.', '_' or '-'", all[name].Origin);
                continue;
            }

            if (name == WebSecretsEntry)
            {
                report(at, $"\"{WebSecretsEntry}\" is reserved: the secrets file's {WebSecretsEntry}.access-token is the web view's; name the device otherwise", all[name].Origin);
                continue;
            }

            if (all[name] is not HoconObject entry)
            {
                report(at, $"expected an object such as {{ type = snmp-ibm-amm, address = \"amm1\" }}, found {all[name].Describe()}", all[name].Origin);
                continue;
            }

            var reader = new EntryReader(entry, at, report);
            var type = reader.Text("type", null);
            if (type is null)
            {
                continue;
            }

            FenceDeviceSettings? device = type switch
            {
                "snmp-ibm-amm" or "snmp-ibm-cmm" => reader.Known(SnmpFields) ? Snmp(name, type, reader) : null,
                "fence-agent" => reader.Known(AgentFields) ? Agent(name, reader) : null,
                "script" => reader.Known(ScriptFields) ? Script(name, reader) : null,
                "pool" => reader.Known(PoolFields) ? new PoolFenceDeviceSettings(name) : null,
                "watchdog" => reader.Known(WatchdogFields) ? Watchdog(name, reader, watchdog, DemotedKeepResources(config)) : null,
                _ => reader.Fail("type", $"unknown device type \"{type}\"; known types: {string.Join(", ", Types)}"),
            };
            if (device is not null && !reader.Failed)
            {
                devices[name] = device;
            }
        }

        return devices.ToImmutable();
    }

    private static SnmpFenceDeviceSettings? Snmp(string name, string type, EntryReader reader)
    {
        var address = reader.Text("address", null);
        var version = reader.Text("version", "v2c");
        if (version is not ("v1" or "v2c" or "v3"))
        {
            reader.Fail("version", $"unsupported SNMP version \"{version}\"; use v1, v2c or v3");
        }

        var v3 = version == "v3" ? SnmpV3(reader) : null;
        if (version != "v3")
        {
            foreach (var field in new[] { "user", "auth-protocol", "priv-protocol" })
            {
                if (reader.Has(field))
                {
                    reader.Fail(field, $"{field} is only for version = v3 (this device uses {version}, with a community from the secrets file)");
                }
            }
        }

        string host = "";
        var port = DefaultSnmpPort;
        if (address is not null && !TryParseAddress(address, out host, out port, out var error))
        {
            reader.Fail("address", error);
        }

        var settings = new SnmpFenceDeviceSettings(name, type == "snmp-ibm-cmm", host, port, version == "v1",
            reader.Boolean("no-softoff", false),
            reader.Duration("timeout", TimeSpan.FromSeconds(2)),
            reader.Integer("retries", 2, 0),
            reader.Duration("soft-off-timeout", TimeSpan.FromSeconds(30)),
            reader.Duration("off-timeout", TimeSpan.FromSeconds(60)),
            reader.Duration("on-timeout", TimeSpan.FromSeconds(60)),
            reader.Duration("poll-interval", TimeSpan.FromSeconds(1)))
        {
            V3 = v3,
        };
        return address is null ? null : settings;
    }

    private static SnmpV3Settings? SnmpV3(EntryReader reader)
    {
        var user = reader.Text("user", null);
        if (user is not null && (user.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(user) > 32 || user.Any(char.IsWhiteSpace)))
        {
            reader.Fail("user", $"an SNMPv3 user name has 1 to 32 bytes and no spaces, found \"{user}\"");
        }

        var auth = SnmpAuthProtocol.Sha;
        switch (reader.Text("auth-protocol", "sha"))
        {
            case "sha": break;
            case "md5": auth = SnmpAuthProtocol.Md5; break;
            case var other: reader.Fail("auth-protocol", $"unknown SNMPv3 auth-protocol \"{other}\"; use sha (HMAC-SHA-96) or md5 (HMAC-MD5-96)"); break;
        }

        var priv = SnmpPrivProtocol.Aes;
        switch (reader.Text("priv-protocol", "aes"))
        {
            case "aes": break;
            case "none": priv = SnmpPrivProtocol.None; break;
            case var other: reader.Fail("priv-protocol", $"unknown SNMPv3 priv-protocol \"{other}\"; use aes (AES-128-CFB) or none (authNoPriv)"); break;
        }

        return user is null ? null : new SnmpV3Settings(user, auth, priv);
    }

    private static FenceAgentDeviceSettings? Agent(string name, EntryReader reader)
    {
        var agent = reader.Text("agent", null);
        if (agent is not null && agent.Length == 0)
        {
            reader.Fail("agent", "must name a fence agent, such as fence_ipmilan");
        }

        var settings = new FenceAgentDeviceSettings(name, agent ?? "",
            reader.Text("ipaddr", "") ?? "", reader.Text("login", "") ?? "",
            reader.Boolean("send-plug", true), reader.Map("plugs"), reader.Map("options"),
            reader.Duration("timeout", TimeSpan.FromSeconds(60)));
        foreach (var key in settings.Options.Keys.Where(k => k is "action" or "password" or "passwd" or "plug" or "port"))
        {
            reader.Fail("options", $"option {key} is set by Haven (action, plug) or comes from the secrets file (password); remove it");
        }

        return agent is null ? null : settings;
    }

    private static ScriptFenceDeviceSettings Script(string name, EntryReader reader)
    {
        var script = reader.Text("script", name) ?? name;
        if (!IsValidName(script))
        {
            reader.Fail("script", $"script name \"{script}\" must be letters, digits, '.', '_' or '-' (it names DIRECTORY/{script}/{script}.sh)");
        }

        var directory = reader.Text("directory", "/etc/haven/fence") ?? "";
        if (!directory.StartsWith('/'))
        {
            reader.Fail("directory", $"must be an absolute path, found \"{directory}\"");
        }

        return new ScriptFenceDeviceSettings(name, directory, script, reader.Duration("timeout", TimeSpan.FromSeconds(60)));
    }

    /// <summary>Reads the fields of one device entry, reporting each problem at its key.</summary>
    private sealed class EntryReader(HoconObject entry, string at, ReportProblem report)
    {
        public bool Failed { get; private set; }

        public bool Known(string[] fields)
        {
            foreach (var key in entry.Keys.Where(k => !fields.Contains(k)))
            {
                var nearest = Levenshtein.Nearest(key, fields);
                Fail(key, $"unknown field {key} for type {Text("type", "")}" + (nearest is null ? $"; known fields: {string.Join(", ", fields)}" : $"; did you mean {nearest}?"));
            }

            return !Failed;
        }

        public FenceDeviceSettings? Fail(string field, string message)
        {
            Failed = true;
            report($"{at}.{ConfigPath.Render([field])}", message, entry.TryGetValue(field, out var value) ? value.Origin : entry.Origin);
            return null;
        }

        public string? Text(string field, string? fallback)
        {
            if (!entry.TryGetValue(field, out var value))
            {
                if (fallback is null)
                {
                    Fail(field, "is missing");
                }

                return fallback;
            }

            if (value is HoconScalar { ScalarKind: HoconValueKind.String or HoconValueKind.Number } s)
            {
                return s.Text;
            }

            Fail(field, $"expected a string, found {value.Describe()}");
            return null;
        }

        public bool Has(string field) => entry.TryGetValue(field, out _);

        public double Number(string field, double fallback, double min)
        {
            if (!entry.TryGetValue(field, out var value))
            {
                return fallback;
            }

            if (value is HoconScalar { ScalarKind: HoconValueKind.Number or HoconValueKind.String } s
                && double.TryParse(s.Text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && n >= min && double.IsFinite(n))
            {
                return n;
            }

            Fail(field, $"expected a number of at least {min.ToString(CultureInfo.InvariantCulture)}, found {value.Describe()}");
            return fallback;
        }

        public bool Boolean(string field, bool fallback) =>
            !entry.TryGetValue(field, out var value) ? fallback
            : value is HoconScalar s && ConfigUnits.TryParseBoolean(s.Text, out var b) ? b
            : Fail(field, $"expected a boolean (on/off), found {value.Describe()}") is null && fallback;

        public TimeSpan Duration(string field, TimeSpan fallback)
        {
            if (!entry.TryGetValue(field, out var value))
            {
                return fallback;
            }

            if (value is HoconScalar s && ConfigUnits.TryParseDuration(s.Text, out var d) && d > TimeSpan.Zero)
            {
                return d;
            }

            Fail(field, $"expected a positive duration such as 5s or 500ms, found {value.Describe()}");
            return fallback;
        }

        public int Integer(string field, int fallback, int min)
        {
            if (!entry.TryGetValue(field, out var value))
            {
                return fallback;
            }

            if (value is HoconScalar s && int.TryParse(s.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min)
            {
                return n;
            }

            Fail(field, $"expected a whole number of at least {min}, found {value.Describe()}");
            return fallback;
        }

        public ImmutableDictionary<string, string> Map(string field)
        {
            var map = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (!entry.TryGetValue(field, out var value))
            {
                return map.ToImmutable();
            }

            if (value is not HoconObject obj)
            {
                Fail(field, $"expected an object of key = \"value\", found {value.Describe()}");
                return map.ToImmutable();
            }

            foreach (var key in obj.Keys)
            {
                if (obj[key] is HoconScalar { ScalarKind: not HoconValueKind.Null } s && !s.Text.Contains('\n', StringComparison.Ordinal))
                {
                    map[key] = s.Text;
                }
                else
                {
                    Fail(field, $"{key} must be a one-line string, found {obj[key].Describe()}");
                }
            }

            return map.ToImmutable();
        }
    }

    /// <summary>Whether the no-quorum-policy (freeze, ignore) leaves a demoted host running VMs or holding addresses.</summary>
    private static bool DemotedKeepResources(Config config) =>
        config.HasPath(NoQuorumPolicyKey) && config.GetString(NoQuorumPolicyKey) is "freeze" or "ignore";

    private const string NoQuorumPolicyKey = "haven.split-brain-resolver.no-quorum-policy";
}
