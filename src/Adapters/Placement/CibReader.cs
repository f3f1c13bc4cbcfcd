using System.Collections.Immutable;
using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Haven.Actors.Placement;

namespace Haven.Adapters.Placement;

/// <summary>A CIB that cannot be read: the message names the file, the line and what is wrong.</summary>
public sealed class CibFormatException(string message, Exception? inner = null) : FormatException(message, inner);

/// <summary>
/// Reads a Pacemaker CIB (cib.xml, or `cibadmin -Q` output) into a <see cref="PlacementInput"/>: nodes with
/// utilization (cpu, memory), primitives with utilization and meta attributes (allow-migrate, priority,
/// target-role, resource-stickiness), rsc_location node preferences, rsc_colocation (rsc with with-rsc: a positive
/// score is affinity, a negative one anti-affinity), resource-stickiness from rsc_defaults,
/// placement-strategy / batch-limit / migration-limit from crm_config, node_state online or lost, and where
/// each primitive runs from its lrm_rsc_op history. Stonith primitives are not VMs and are skipped.
/// </summary>
public static class CibReader
{
    /// <summary>Reads the CIB at <paramref name="path"/>.</summary>
    /// <exception cref="CibFormatException">Malformed XML or a missing or bad part, with file:line.</exception>
    public static PlacementInput ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>Reads a CIB from <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="CibFormatException">Malformed XML or a missing or bad part, with source:line.</exception>
    public static PlacementInput Read(TextReader text, string source = "cib")
    {
        ArgumentNullException.ThrowIfNull(text);
        XDocument doc;
        try
        {
            doc = XDocument.Load(text, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw new CibFormatException($"{source}:{e.LineNumber}: not well-formed XML: {e.Message}", e);
        }
        return new Parser(source).Parse(doc);
    }

    private sealed class Parser(string source)
    {
        private readonly Dictionary<string, XElement> nodeElements = new(StringComparer.Ordinal);

        public PlacementInput Parse(XDocument doc)
        {
            var cib = doc.Root!;
            if (cib.Name.LocalName != "cib") throw Error(cib, $"the root element is <{cib.Name.LocalName}>, expected <cib>");
            var configuration = Required(cib, "configuration");
            var options = Options(configuration);
            var nodesElement = Required(configuration, "nodes");
            var resources = Required(configuration, "resources");
            var status = cib.Element("status");

            // nodes: uname (or id) → capacity
            var names = new List<string>();
            var idToName = new Dictionary<string, string>(StringComparer.Ordinal);
            var capacity = new Dictionary<string, Capacity>(StringComparer.Ordinal);
            foreach (var node in nodesElement.Elements("node"))
            {
                var name = (string?)node.Attribute("uname") ?? Attr(node, "id");
                if (!nodeElements.TryAdd(name, node)) throw Error(node, $"node '{name}' is defined twice");
                names.Add(name);
                if ((string?)node.Attribute("id") is { } id) idToName[id] = name;
                var u = Utilization(node.Element("utilization"));
                // a node without a dimension has no room for it, except under the default strategy, which ignores utilization
                var none = options.Strategy == PlacementStrategy.Default ? long.MaxValue : 0;
                capacity[name] = new Capacity(u.Cpu ?? none, u.Memory ?? none);
            }
            if (names.Count == 0) throw Error(nodesElement, "<nodes> lists no node");

            // status: online or lost, and what runs where
            var health = names.ToDictionary(n => n, _ => NodeHealth.Lost, StringComparer.Ordinal);
            var runningOn = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var state in status?.Elements("node_state") ?? [])
            {
                var name = (string?)state.Attribute("uname")
                    ?? ((string?)state.Attribute("id") is { } id && idToName.TryGetValue(id, out var n) ? n : null)
                    ?? throw Error(state, "<node_state> has neither uname nor a known id");
                if (!health.ContainsKey(name)) throw Error(state, $"<node_state> for '{name}', which <nodes> does not define");
                var unclean = Flag((string?)state.Attribute("unclean"));
                var member = Flag((string?)state.Attribute("in_ccm"));
                var crmd = Flag((string?)state.Attribute("crmd"));
                health[name] = member && crmd && !unclean ? NodeHealth.Online : NodeHealth.Lost;
                foreach (var lrm in state.Elements("lrm").Elements("lrm_resources").Elements("lrm_resource"))
                    if (IsRunning(lrm)) runningOn.TryAdd(Attr(lrm, "id"), name);
            }

            // location preferences
            var preferences = new Dictionary<string, List<NodePreference>>(StringComparer.Ordinal);
            foreach (var loc in configuration.Element("constraints")?.Elements("rsc_location") ?? [])
            {
                var rsc = Attr(loc, "rsc");
                var node = (string?)loc.Attribute("node")
                    ?? throw Error(loc, $"rsc_location '{(string?)loc.Attribute("id")}' has no node attribute (rules are not supported)");
                if (!health.ContainsKey(node)) throw Error(loc, $"rsc_location '{(string?)loc.Attribute("id")}' names unknown node '{node}'");
                var score = Score(loc, Attr(loc, "score"));
                if (!preferences.TryGetValue(rsc, out var list)) preferences[rsc] = list = [];
                list.Add(new NodePreference(node, score));
            }

            // colocation: a positive score puts rsc with with-rsc, a negative one apart from it (0 does nothing)
            var with = new Dictionary<string, List<VmConstraint>>(StringComparer.Ordinal);
            var apart = new Dictionary<string, List<VmConstraint>>(StringComparer.Ordinal);
            var colocations = (configuration.Element("constraints")?.Elements("rsc_colocation") ?? []).ToList();
            foreach (var col in colocations)
            {
                var rsc = (string?)col.Attribute("rsc")
                    ?? throw Error(col, $"rsc_colocation '{(string?)col.Attribute("id")}' has no rsc attribute (resource sets are not supported)");
                var partner = Attr(col, "with-rsc");
                if (rsc == partner) throw Error(col, $"rsc_colocation '{(string?)col.Attribute("id")}' colocates '{rsc}' with itself");
                var score = Score(col, Attr(col, "score"));
                if (score == 0) continue;
                var into = score > 0 ? with : apart;
                if (!into.TryGetValue(rsc, out var list)) into[rsc] = list = [];
                list.Add(new VmConstraint(partner, Math.Abs(score)));
            }

            // primitives (also inside groups and clones), stonith excluded
            var vms = ImmutableArray.CreateBuilder<PlacementVm>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in resources.Descendants("primitive"))
            {
                if ((string?)p.Attribute("class") == "stonith") continue;
                var id = Attr(p, "id");
                if (!seen.Add(id)) throw Error(p, $"primitive '{id}' is defined twice");
                var u = Utilization(p.Element("utilization"));
                var meta = Pairs(p.Elements("meta_attributes"));
                var running = runningOn.TryGetValue(id, out var on);
                vms.Add(new PlacementVm(
                    id,
                    new Capacity(u.Cpu ?? 0, u.Memory ?? 0),
                    running ? on : null,
                    running,
                    meta.TryGetValue("priority", out var prio) ? Score(prio.Element, prio.Value) : 0,
                    meta.TryGetValue("allow-migrate", out var am) && Flag(am.Value),
                    preferences.TryGetValue(id, out var prefs) ? [.. prefs] : [],
                    !(meta.TryGetValue("target-role", out var role) && string.Equals(role.Value, "Stopped", StringComparison.OrdinalIgnoreCase)),
                    meta.TryGetValue("resource-stickiness", out var st) ? Score(st.Element, st.Value) : null,
                    with.TryGetValue(id, out var w) ? [.. w] : [],
                    apart.TryGetValue(id, out var a) ? [.. a] : []));
            }
            foreach (var rsc in preferences.Keys)
                if (!seen.Contains(rsc))
                {
                    var loc = configuration.Element("constraints")!.Elements("rsc_location").First(l => (string?)l.Attribute("rsc") == rsc);
                    throw Error(loc, $"rsc_location names unknown resource '{rsc}'");
                }

            foreach (var col in colocations)
                foreach (var rsc in new[] { (string?)col.Attribute("rsc"), (string?)col.Attribute("with-rsc") })
                    if (!seen.Contains(rsc!)) throw Error(col, $"rsc_colocation '{(string?)col.Attribute("id")}' names unknown resource '{rsc}'");

            var nodes = names.Select(n => new PlacementNode(n, health[n], capacity[n])).ToImmutableArray();
            return new PlacementInput(nodes, vms.ToImmutable(), options);
        }

        private PlacementOptions Options(XElement configuration)
        {
            var crm = Pairs(configuration.Element("crm_config")?.Elements("cluster_property_set") ?? []);
            var defaults = Pairs(configuration.Element("rsc_defaults")?.Elements("meta_attributes") ?? []);
            var strategy = PlacementStrategy.Default;
            if (crm.TryGetValue("placement-strategy", out var s))
                strategy = s.Value switch
                {
                    "default" => PlacementStrategy.Default,
                    "utilization" => PlacementStrategy.Utilization,
                    "balanced" => PlacementStrategy.Balanced,
                    "minimal" => PlacementStrategy.Minimal,
                    _ => throw Error(s.Element, $"placement-strategy '{s.Value}' is not one of default, utilization, balanced, minimal"),
                };
            var stickiness = defaults.TryGetValue("resource-stickiness", out var st) ? Score(st.Element, st.Value)
                : crm.TryGetValue("default-resource-stickiness", out var old) ? Score(old.Element, old.Value) : 0;
            var batch = crm.TryGetValue("batch-limit", out var b) ? Integer(b.Element, "batch-limit", b.Value) : 0;
            var migration = crm.TryGetValue("migration-limit", out var m) ? Integer(m.Element, "migration-limit", m.Value) : -1;
            return new PlacementOptions(strategy, stickiness, (int)Math.Clamp(batch, 0, int.MaxValue), (int)Math.Clamp(migration, -1, int.MaxValue));
        }

        private (long? Cpu, long? Memory) Utilization(XElement? utilization)
        {
            if (utilization is null) return (null, null);
            long? cpu = null, memory = null;
            foreach (var pair in utilization.Elements("nvpair"))
            {
                var name = Attr(pair, "name");
                if (name is not ("cpu" or "memory")) continue;
                var value = Integer(pair, name, Attr(pair, "value"));
                if (value < 0) throw Error(pair, $"{name} utilization {value} is negative");
                if (name == "cpu") cpu = value; else memory = value;
            }
            return (cpu, memory);
        }

        private Dictionary<string, (string Value, XElement Element)> Pairs(IEnumerable<XElement> sets)
        {
            var pairs = new Dictionary<string, (string, XElement)>(StringComparer.Ordinal);
            foreach (var pair in sets.Elements("nvpair")) pairs[Attr(pair, "name")] = (Attr(pair, "value"), pair);
            return pairs;
        }

        /// <summary>The last non-recurring operation decides: a successful start, migrate_from or promote, or a probe that found it running.</summary>
        private static bool IsRunning(XElement lrm)
        {
            XElement? last = null;
            var lastCall = long.MinValue;
            foreach (var op in lrm.Elements("lrm_rsc_op"))
            {
                if ((string?)op.Attribute("interval") is { } interval && interval != "0") continue;
                var call = long.TryParse((string?)op.Attribute("call-id"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 0;
                if (call >= lastCall) { lastCall = call; last = op; }
            }
            if (last is null) return false;
            var rc = (string?)last.Attribute("rc-code");
            return (string?)last.Attribute("operation") switch
            {
                "start" or "migrate_from" or "promote" or "demote" => rc == "0",
                "monitor" => rc is "0" or "8",
                _ => false,
            };
        }

        private static bool Flag(string? value) =>
            value is not null && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase)
                || value == "1" || value.Equals("online", StringComparison.OrdinalIgnoreCase) || value.Equals("on", StringComparison.OrdinalIgnoreCase)
                || (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) && t > 0)); // newer Pacemaker writes a timestamp

        private int Score(XElement at, string value) => value.Trim() switch
        {
            "INFINITY" or "+INFINITY" => PlacementScores.Infinity,
            "-INFINITY" => PlacementScores.Banned,
            var v => (int)Math.Clamp(Integer(at, "score", v), PlacementScores.Banned, PlacementScores.Infinity),
        };

        private long Integer(XElement at, string what, string value) =>
            long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                : throw Error(at, $"{what} '{value}' is not an integer");

        private XElement Required(XElement parent, string name) =>
            parent.Element(name) ?? throw Error(parent, $"<{parent.Name.LocalName}> has no <{name}>");

        private string Attr(XElement element, string name) =>
            (string?)element.Attribute(name) ?? throw Error(element, $"<{element.Name.LocalName}> has no {name} attribute");

        private CibFormatException Error(XElement at, string message) =>
            new($"{source}:{((IXmlLineInfo)at).LineNumber}: {message}");
    }
}
