using System.Collections.Immutable;
using System.Globalization;

namespace Haven.Actors.Configuration;

/// <summary>
/// The cluster's node list (<c>haven.cluster.nodes</c>) and floating addresses
/// (<c>haven.ips.public-addresses</c>): reading and checking their entries, the checks that span
/// them and the split-brain settings (ClusterConfig.Validation.cs), and the bridge to
/// <see cref="Haven.Actors.Cluster.ClusterOptions"/> (ClusterConfig.Options.cs).
/// </summary>
public static partial class ClusterConfig
{
    public const string NodesPath = "haven.cluster.nodes";
    public const string NodeNamePath = "haven.cluster.node-name";
    public const string PublicAddressesPath = "haven.ips.public-addresses";

    /// <summary>The id the only node gets when the node list is empty (this host alone).</summary>
    public const uint SingleHostNodeId = 1;

    /// <summary>Linux's IFNAMSIZ less the terminating NUL.</summary>
    public const int MaxInterfaceNameLength = 15;

    private static readonly string[] NodeFields = ["name", "id"];
    private static readonly string[] AddressFields = ["address", "interface"];
    private static readonly string[] AddressOptionalFields = ["preferred-host", "group"];

    /// <summary>Whether <paramref name="name"/> is a valid node name: one or more of <c>[A-Za-z0-9._-]</c>.</summary>
    public static bool IsValidNodeName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>
    /// The one node-name rule's answer for every place that takes a node name (haven.cluster.nodes, preferred-host,
    /// capacities, a VM's node preferences): null when <paramref name="name"/> is valid, else what is wrong and the rule.
    /// </summary>
    public static string? NodeNameProblem(string name) => IsValidNodeName(name)
        ? null
        : $"invalid node name \"{name}\"; use one or more letters, digits, '.', '_' or '-'";

    /// <summary>
    /// Parses <c>A.B.C.D/NN</c> (four decimal octets without leading zeros, prefix length 1..32; host
    /// bits may be set). <paramref name="error"/> says what is wrong otherwise.
    /// </summary>
    public static bool TryParseIPv4Cidr(string text, out string ip, out int mask, out string error)
    {
        ip = "";
        mask = 0;
        error = $"invalid address \"{text}\"; expected an IPv4 address with a prefix length, such as 192.0.2.10/24";
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !TryParseIPv4(text[..slash], out ip))
        {
            return false;
        }

        var bits = text[(slash + 1)..];
        if (bits.Length is 0 or > 2 || !bits.All(char.IsAsciiDigit) || (bits.Length > 1 && bits[0] == '0'))
        {
            return false;
        }

        mask = int.Parse(bits, CultureInfo.InvariantCulture);
        if (mask is < 1 or > 32)
        {
            error = $"prefix length {mask} of \"{text}\" must be from 1 to 32";
            return false;
        }

        error = "";
        return true;
    }

    private static bool TryParseIPv4(string text, out string ip)
    {
        ip = "";
        var octets = text.Split('.');
        if (octets.Length != 4 || octets.Any(o => o.Length is 0 or > 3 || !o.All(char.IsAsciiDigit) || (o.Length > 1 && o[0] == '0')))
        {
            return false;
        }

        var values = octets.Select(o => int.Parse(o, CultureInfo.InvariantCulture)).ToArray();
        if (values.Any(v => v > 255))
        {
            return false;
        }

        ip = string.Join('.', values);
        return true;
    }

    /// <summary>
    /// Null when <paramref name="name"/> is a valid Linux interface name (the kernel's dev_valid_name:
    /// 1..15 characters, not "." or "..", no '/', ':' or whitespace), else what is wrong.
    /// </summary>
    public static string? CheckInterfaceName(string name)
    {
        if (name.Length == 0)
        {
            return "interface name is empty";
        }

        if (name.Length > MaxInterfaceNameLength)
        {
            return $"interface name \"{name}\" is longer than {MaxInterfaceNameLength} characters";
        }

        if (name is "." or "..")
        {
            return $"interface name \"{name}\" is not allowed";
        }

        var bad = name.FirstOrDefault(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c));
        return bad == default ? null : $"interface name \"{name}\" contains {(bad is '/' or ':' ? $"'{bad}'" : "whitespace or a control character")}";
    }

    /// <summary>The node list; throws <see cref="ConfigException"/> at the first bad entry.</summary>
    internal static ImmutableArray<NodeSettings> ReadNodes(Config config) => ConfigProblems.ReadOrThrow(config, ParseNodes);

    /// <summary>The public addresses; throws <see cref="ConfigException"/> at the first bad entry.</summary>
    internal static ImmutableArray<PublicAddressSettings> ReadPublicAddresses(Config config) => ConfigProblems.ReadOrThrow(config, ParsePublicAddresses);

    /// <summary>Every valid entry of the node list; each bad entry or duplicate is reported.</summary>
    internal static ImmutableArray<NodeSettings> ParseNodes(Config config, ReportProblem report)
    {
        var nodes = ImmutableArray.CreateBuilder<NodeSettings>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var ids = new Dictionary<uint, string>();
        foreach (var (at, entry) in Entries(config, NodesPath, NodeFields, [], report))
        {
            var name = Field(entry, at, "name", report) is { } nameValue ? NodeName(nameValue, at, report) : null;
            var id = Field(entry, at, "id", report) is { } idValue ? NodeIdValue(idValue, at, report) : null;
            if (name is not null && !names.TryAdd(name, at))
            {
                report($"{at}.name", $"node name \"{name}\" is already used by {names[name]}", entry["name"].Origin);
                name = null;
            }

            if (id is { } value && !ids.TryAdd(value, at))
            {
                report($"{at}.id", $"node id {value} is already used by {ids[value]}", entry["id"].Origin);
                id = null;
            }

            if (name is not null && id is not null)
            {
                nodes.Add(new NodeSettings(name, id.Value));
            }
        }

        return nodes.ToImmutable();
    }

    /// <summary>
    /// Every valid public address; each bad entry or duplicate address is reported. The optional
    /// <c>preferred-host</c> must name a node of <c>haven.cluster.nodes</c> when that list is not empty
    /// (when the list itself has problems, those are reported there and the name is not checked).
    /// </summary>
    internal static ImmutableArray<PublicAddressSettings> ParsePublicAddresses(Config config, ReportProblem report)
    {
        var nodeProblems = 0;
        var nodes = ParseNodes(config, (_, _, _) => nodeProblems++);
        var known = nodeProblems == 0 && !nodes.IsEmpty ? nodes : (ImmutableArray<NodeSettings>?)null;
        var addresses = ImmutableArray.CreateBuilder<PublicAddressSettings>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (at, entry) in Entries(config, PublicAddressesPath, AddressFields, AddressOptionalFields, report))
        {
            string? ip = null;
            var mask = 0;
            if (Field(entry, at, "address", report) is { } addressValue && Text(addressValue, $"{at}.address", report) is { } text)
            {
                if (!TryParseIPv4Cidr(text, out var parsed, out mask, out var error))
                {
                    report($"{at}.address", error, addressValue.Origin);
                }
                else if (!seen.TryAdd(parsed, at))
                {
                    report($"{at}.address", $"address {parsed} is already used by {seen[parsed]}", addressValue.Origin);
                }
                else
                {
                    ip = parsed;
                }
            }

            string? device = null;
            if (Field(entry, at, "interface", report) is { } interfaceValue && Text(interfaceValue, $"{at}.interface", report) is { } name)
            {
                if (CheckInterfaceName(name) is { } error)
                {
                    report($"{at}.interface", error, interfaceValue.Origin);
                }
                else
                {
                    device = name;
                }
            }

            var optionalOk = OptionalAddressFields(entry, at, known, report, out var preferred, out var group);
            if (ip is not null && device is not null && optionalOk)
            {
                addresses.Add(new PublicAddressSettings(ip, mask, device) { PreferredHost = preferred, Group = group });
            }
        }

        return addresses.ToImmutable();
    }

    /// <summary>
    /// <c>preferred-host</c> (a node name, in <paramref name="known"/> when that is given) and <c>group</c>
    /// (a non-empty name without whitespace) of one address entry; false when either is bad.
    /// </summary>
    private static bool OptionalAddressFields(HoconObject entry, string at, ImmutableArray<NodeSettings>? known, ReportProblem report,
        out string? preferred, out string? group)
    {
        preferred = null;
        group = null;
        var ok = true;
        if (entry.TryGetValue("preferred-host", out var hostValue))
        {
            var path = $"{at}.preferred-host";
            if (Text(hostValue, path, report) is not { } host)
            {
                ok = false;
            }
            else if (NodeNameProblem(host) is { } invalid)
            {
                report(path, invalid, hostValue.Origin);
                ok = false;
            }
            else if (known is { } nodes && !nodes.Any(n => n.Name == host))
            {
                report(path, $"node \"{host}\" is not in {NodesPath} (known: {KnownNames(nodes)})", hostValue.Origin);
                ok = false;
            }
            else
            {
                preferred = host;
            }
        }

        if (entry.TryGetValue("group", out var groupValue))
        {
            var path = $"{at}.group";
            if (Text(groupValue, path, report) is not { } name)
            {
                ok = false;
            }
            else if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                report(path, $"invalid group name \"{name}\"; use one or more characters without whitespace", groupValue.Origin);
                ok = false;
            }
            else
            {
                group = name;
            }
        }

        return ok;
    }

    /// <summary>
    /// The object entries of the list at <paramref name="path"/>, with fields that are neither in
    /// <paramref name="fields"/> (required) nor in <paramref name="optional"/> reported.
    /// </summary>
    private static IEnumerable<(string At, HoconObject Entry)> Entries(Config config, string path, string[] fields, string[] optional, ReportProblem report)
    {
        if (!config.TryGetValue(path, out var value))
        {
            yield break;
        }

        if (value is not HoconList list)
        {
            report(path, $"expected a list, found {value.Describe()}", value.Origin);
            yield break;
        }

        for (var i = 0; i < list.Items.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (list.Items[i] is not HoconObject entry)
            {
                report(at, $"expected an object with {string.Join(" and ", fields)}, found {list.Items[i].Describe()}", list.Items[i].Origin);
                continue;
            }

            string[] all = [.. fields, .. optional];
            foreach (var key in entry.Keys.Where(k => !all.Contains(k, StringComparer.Ordinal)))
            {
                var nearest = Levenshtein.Nearest(key, all);
                var hint = nearest is null ? $"; known fields: {string.Join(", ", all)}" : $"; did you mean {nearest}?";
                report($"{at}.{ConfigPath.Render([key])}", $"unknown field {key}{hint}", entry[key].Origin);
            }

            yield return (at, entry);
        }
    }

    private static HoconValue? Field(HoconObject entry, string at, string field, ReportProblem report)
    {
        if (entry.TryGetValue(field, out var value))
        {
            return value;
        }

        report($"{at}.{field}", $"is missing; each entry needs {string.Join(" and ", EntryFields(at))}", entry.Origin);
        return null;
    }

    private static string[] EntryFields(string at) => at.StartsWith(NodesPath, StringComparison.Ordinal) ? NodeFields : AddressFields;

    private static string? Text(HoconValue value, string path, ReportProblem report)
    {
        if (value is HoconScalar { ScalarKind: HoconValueKind.String or HoconValueKind.Number } scalar)
        {
            return scalar.Text;
        }

        report(path, $"expected a string, found {value.Describe()}", value.Origin);
        return null;
    }

    private static string? NodeName(HoconValue value, string at, ReportProblem report)
    {
        if (Text(value, $"{at}.name", report) is not { } name)
        {
            return null;
        }

        if (NodeNameProblem(name) is not { } invalid)
        {
            return name;
        }

        report($"{at}.name", invalid, value.Origin);
        return null;
    }

    private static uint? NodeIdValue(HoconValue value, string at, ReportProblem report)
    {
        if (value is HoconScalar { ScalarKind: HoconValueKind.Number or HoconValueKind.String } scalar
            && uint.TryParse(scalar.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && id >= 1)
        {
            return id;
        }

        report($"{at}.id", $"expected a whole number from 1 to {uint.MaxValue} (Corosync's nodeid), found {value.Describe()}", value.Origin);
        return null;
    }
}
