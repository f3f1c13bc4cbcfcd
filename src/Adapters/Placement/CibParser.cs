using System.Collections.Immutable;
using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Haven.Actors.Placement;

namespace Haven.Adapters.Placement;

/// <summary>One parse of one CIB (see <see cref="CibReader"/> for what is read).</summary>
internal sealed partial class CibParser(string source, DateTimeOffset now)
{
    private readonly List<string> warnings = [];
    private readonly List<CibFence> fencedByState = [];   // from node_state, in document order
    private readonly List<CibFence> fencedByHistory = []; // from resource history, in document order
    private readonly HashSet<string> fenced = new(StringComparer.Ordinal);
    private readonly HashSet<string> quorumStopped = new(StringComparer.Ordinal); // running or not: stopped for want of quorum
    private readonly HashSet<string> quorumFrozen = new(StringComparer.Ordinal);  // not running, not started under freeze

    private sealed class NodeFacts
    {
        public required string Name;
        public required XElement Element;
        public Capacity Capacity;
        public NodeHealth Health = NodeHealth.Lost;
        public bool Seen;
        public Dictionary<string, string> Transient = new(StringComparer.Ordinal);
    }

    private sealed class Resource
    {
        public required string Id;
        public required XElement Element;
        public required int Order;
        public required Dictionary<string, (string Value, XElement Element)> Meta;
        public List<string> ActiveOn = [];
        public bool Failed;
        public bool Unmanaged;
        public bool StopIt;
        public List<NodePreference> Preferences = [];
    }

    public CibModel Parse(XDocument doc)
    {
        var cib = doc.Root!;
        if (cib.Name.LocalName != "cib") throw Error(cib, $"the root element is <{cib.Name.LocalName}>, expected <cib>");
        var configuration = Required(cib, "configuration");
        var crm = Pairs(configuration.Element("crm_config")?.Elements("cluster_property_set") ?? []);
        var defaults = Pairs(configuration.Element("rsc_defaults")?.Elements("meta_attributes") ?? []);
        var options = Options(crm, defaults);
        var stonith = !crm.TryGetValue("stonith-enabled", out var se) || Flag(se.Value);
        var maintenanceMode = crm.TryGetValue("maintenance-mode", out var mm) && Flag(mm.Value);
        var quorate = (string?)cib.Attribute("have-quorum") is not { } hq || Flag(hq);
        var noQuorum = crm.TryGetValue("no-quorum-policy", out var nq) ? nq.Value : "stop";
        if (noQuorum is not ("stop" or "freeze" or "ignore" or "demote" or "suicide" or "fence"))
            throw Error(nq.Element, $"no-quorum-policy '{noQuorum}' is not one of stop, freeze, ignore, demote, fence, suicide");
        var clock = (string?)cib.Attribute("execution-date") is { } ed && long.TryParse(ed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch)
            ? DateTimeOffset.FromUnixTimeSeconds(epoch) : now;

        var nodes = Nodes(Required(configuration, "nodes"), options.Strategy);
        var byName = nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var idToName = nodes.Where(n => (string?)n.Element.Attribute("id") is not null)
            .GroupBy(n => (string)n.Element.Attribute("id")!).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);

        var resources = Resources(Required(configuration, "resources"));
        var byId = resources.ToDictionary(r => r.Id, StringComparer.Ordinal);
        string? Meta(Resource r, string name) => r.Meta.TryGetValue(name, out var m) ? m.Value : defaults.TryGetValue(name, out var d) ? d.Value : null;

        // status: node states first (fences in document order), then each node's resource history
        var status = cib.Element("status");
        var histories = new List<(NodeFacts Node, XElement Lrm)>();
        foreach (var state in status?.Elements("node_state") ?? [])
        {
            var name = (string?)state.Attribute("uname")
                ?? ((string?)state.Attribute("id") is { } id && idToName.TryGetValue(id, out var n) ? n : null)
                ?? throw Error(state, "<node_state> has neither uname nor a known id");
            if (!byName.TryGetValue(name, out var node)) throw Error(state, $"<node_state> for '{name}', which <nodes> does not define");
            node.Seen = true;
            foreach (var pair in state.Elements("transient_attributes").Elements("instance_attributes").Elements("nvpair"))
                node.Transient[Attr(pair, "name")] = (string?)pair.Attribute("value") ?? "";
            var member = Flag((string?)state.Attribute("in_ccm"));
            var crmd = Flag((string?)state.Attribute("crmd"));
            var join = (string?)state.Attribute("join") ?? "member";
            var expected = (string?)state.Attribute("expected");
            if (Flag((string?)state.Attribute("unclean"))) Fence(node, "node is unclean", fencedByState, stonith);
            else if (member && crmd) node.Health = join == "member" ? NodeHealth.Online : NodeHealth.Lost; // joining: not usable yet, not unclean
            else if (expected != "down") // lost while expected a member
                Fence(node, member ? "peer process is no longer available" : "peer is no longer part of the cluster", fencedByState, stonith);
            foreach (var lrm in state.Elements("lrm").Elements("lrm_resources").Elements("lrm_resource")) histories.Add((node, lrm));
        }
        foreach (var node in nodes)
        {
            if (node.Health != NodeHealth.Online) continue;
            if (Flag(Attribute(node, "maintenance"))) node.Health = NodeHealth.Maintenance;
            else if (Flag(Attribute(node, "standby")) || ShuttingDownSince(node) is not null) node.Health = NodeHealth.Standby; // shutting down: takes nothing
        }
        var shutdownLock = ShutdownLockEnabled(crm);

        foreach (var (node, lrm) in histories)
        {
            var id = Attr(lrm, "id");
            if (!byId.TryGetValue(id, out var rsc)) { warnings.Add($"{Where(lrm)}: history for '{id}', which <resources> does not define: ignored"); continue; }
            var history = CibHistory.Read(lrm);
            var cleanlyDown = node.Health == NodeHealth.Lost && !fenced.Contains(node.Name);
            if (history.Active && cleanlyDown)
            {
                // a node that left cleanly but is thought to run something is fenced before it starts elsewhere
                if (!stonith) continue;
                Fence(node, $"{id} is thought to be active there", fencedByHistory, stonith);
            }
            if (history.Active && node.Health == NodeHealth.Lost && !stonith) continue; // no fencing: a lost node runs nothing
            if (history.Active) rsc.ActiveOn.Add(node.Name);
            ShutdownLock(shutdownLock, rsc, node, lrm, history.Active);
            if (history.FailedOp is { } op) Failure(rsc, node, op, history.FailedInterval, history.Kind, history.Active, stonith);
        }
        foreach (var node in nodes)
            if (!node.Seen) Fence(node, "node is unclean", fencedByHistory, stonith); // Pacemaker's startup-fencing: never seen is unclean

        // fail counts against migration-threshold
        foreach (var node in nodes)
            foreach (var rsc in resources)
            {
                var threshold = Meta(rsc, "migration-threshold") is { } mt ? ScoreOf(rsc.Element, mt) : PlacementScores.Infinity;
                if (threshold <= 0) continue;
                var timeout = CibHistory.DurationMs(Meta(rsc, "failure-timeout")) ?? 0;
                var failures = FailCount(node, rsc.Id, timeout, clock);
                if (failures >= threshold)
                {
                    rsc.Preferences.Add(new NodePreference(node.Name, PlacementScores.Banned));
                    warnings.Add($"{rsc.Id} cannot run on {node.Name}: fail count {ScoreText(failures)} reached migration-threshold {ScoreText(threshold)}");
                }
            }

        Constraints(configuration.Element("constraints"), byName, byId);
        ApplyShutdownLocks(crm, nodes, byId, clock);

        var vms = ImmutableArray.CreateBuilder<PlacementVm>();
        foreach (var rsc in resources)
        {
            var u = Utilization(rsc.Element.Element("utilization"));
            var role = Meta(rsc, "target-role");
            var unmanaged = rsc.Unmanaged || maintenanceMode
                || (Meta(rsc, "is-managed") is { } im && !Flag(im)) || (Meta(rsc, "maintenance") is { } rm && Flag(rm));
            var wanted = !rsc.StopIt && !string.Equals(role, "Stopped", StringComparison.OrdinalIgnoreCase);
            if (!quorate && noQuorum != "ignore" && wanted)
            {
                // freeze: what runs goes on running (and may move); nothing new starts. The others: everything stops.
                if (noQuorum != "freeze") quorumStopped.Add(rsc.Id);
                else if (rsc.ActiveOn.Count == 0) quorumFrozen.Add(rsc.Id);
                if (noQuorum != "freeze" || rsc.ActiveOn.Count == 0) wanted = false;
            }
            var multiple = Meta(rsc, "multiple-active") ?? "stop_start";
            var also = rsc.ActiveOn.Skip(1).ToImmutableArray();
            if (!also.IsEmpty)
            {
                warnings.Add($"{rsc.Id} is active on {rsc.ActiveOn.Count} nodes ({string.Join(", ", rsc.ActiveOn)}): multiple-active {multiple}");
                if (multiple == "block") unmanaged = true;
                else if (multiple == "stop_only") wanted = false;
            }
            var running = rsc.ActiveOn.Count > 0;
            vms.Add(new PlacementVm(
                rsc.Id,
                new Capacity(u.Cpu ?? 0, u.Memory ?? 0),
                running ? rsc.ActiveOn[0] : null,
                running,
                Meta(rsc, "priority") is { } prio ? ScoreOf(rsc.Element, prio) : 0,
                Meta(rsc, "allow-migrate") is { } am && Flag(am),
                [.. rsc.Preferences],
                wanted,
                rsc.Meta.TryGetValue("resource-stickiness", out var st) ? ScoreOf(st.Element, st.Value) : null,
                with.TryGetValue(rsc.Id, out var w) ? [.. w] : [],
                apart.TryGetValue(rsc.Id, out var a) ? [.. a] : [],
                Managed: !unmanaged,
                Failed: rsc.Failed,
                AlsoRunningOn: also,
                Order: rsc.Order));
        }

        // Pacemaker lists fencing newest first; it fences nothing in maintenance-mode or without quorum (unless no-quorum-policy ignore)
        var fencing = stonith && !maintenanceMode && (quorate || noQuorum == "ignore");
        var fences = fencing ? fencedByState.Concat(fencedByHistory).Reverse().ToImmutableArray() : [];

        if (!fencing)
            for (var i = 0; i < vms.Count; i++)
                if (vms[i].CurrentNode is { } on && fenced.Contains(on)) vms[i] = vms[i] with { Managed = false }; // blocked: only a fence could stop it
        var placementNodes = nodes.Select(n => new PlacementNode(n.Name, n.Health, n.Capacity, fencing && fenced.Contains(n.Name))).ToImmutableArray();
        var model = new CibModel(new PlacementInput(placementNodes, vms.ToImmutable(), options), fences, [.. warnings]);
        if (quorate || noQuorum == "ignore") return model;
        // Without quorum Pacemaker still assigns every resource; the starts are blocked ("due to no quorum (blocked)", under
        // freeze "due to quorum freeze (blocked)") and, but under freeze, every running resource stops "due to no quorum".
        return model with
        {
            StoppedForQuorum = [.. quorumStopped],
            WithQuorum = model.Input with { Vms = [.. model.Input.Vms.Select(v => quorumStopped.Contains(v.Name) || quorumFrozen.Contains(v.Name) ? v with { Wanted = true } : v)] },
            BlockedReason = noQuorum == "freeze" ? "quorum freeze" : "no quorum",
        };
    }

    private readonly Dictionary<string, List<VmConstraint>> with = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<VmConstraint>> apart = new(StringComparer.Ordinal);

    private void Fence(NodeFacts node, string reason, List<CibFence> into, bool stonith)
    {
        node.Health = NodeHealth.Lost;
        if (!stonith || !fenced.Add(node.Name)) return;
        into.Add(new CibFence(node.Name, reason));
    }

    private string? Attribute(NodeFacts node, string name) =>
        node.Transient.TryGetValue(name, out var t) ? t
        : Pairs(node.Element.Elements("instance_attributes")).TryGetValue(name, out var p) ? p.Value : null;

    private List<NodeFacts> Nodes(XElement nodesElement, PlacementStrategy strategy)
    {
        var nodes = new List<NodeFacts>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodesElement.Elements("node"))
        {
            var name = (string?)node.Attribute("uname") ?? Attr(node, "id");
            if (!seen.Add(name)) throw Error(node, $"node '{name}' is defined twice");
            var u = Utilization(node.Element("utilization"));
            // a node without a dimension has no room for it, except under the default strategy, which ignores utilization
            var none = strategy == PlacementStrategy.Default ? long.MaxValue : 0;
            nodes.Add(new NodeFacts { Name = name, Element = node, Capacity = new Capacity(u.Cpu ?? none, u.Memory ?? none) });
        }
        if (nodes.Count == 0) throw Error(nodesElement, "<nodes> lists no node");
        return nodes;
    }

    private List<Resource> Resources(XElement resources)
    {
        var list = new List<Resource>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in resources.Descendants("primitive"))
        {
            var id = Attr(p, "id");
            if (!seen.Add(id)) throw Error(p, $"primitive '{id}' is defined twice");
            list.Add(new Resource { Id = id, Element = p, Order = list.Count, Meta = Pairs(p.Elements("meta_attributes")) });
        }
        return list;
    }

    private void Constraints(XElement? constraints, Dictionary<string, NodeFacts> nodes, Dictionary<string, Resource> resources)
    {
        foreach (var loc in constraints?.Elements("rsc_location") ?? [])
        {
            var id = (string?)loc.Attribute("id");
            var rsc = Attr(loc, "rsc");
            if ((string?)loc.Attribute("node") is not { } node) { warnings.Add($"{Where(loc)}: rsc_location '{id}' has no node attribute (rules are not supported): ignored"); continue; }
            var score = ScoreOf(loc, Attr(loc, "score"));
            if (!nodes.ContainsKey(node)) { warnings.Add($"{Where(loc)}: rsc_location '{id}' names undefined node '{node}': ignored"); continue; }
            if (!resources.TryGetValue(rsc, out var r)) { warnings.Add($"{Where(loc)}: rsc_location '{id}' names undefined resource '{rsc}': ignored"); continue; }
            r.Preferences.Add(new NodePreference(node, score));
        }
        // colocation: a positive score puts rsc with with-rsc, a negative one apart from it (0 does nothing)
        foreach (var col in constraints?.Elements("rsc_colocation") ?? [])
        {
            var id = (string?)col.Attribute("id");
            var rsc = (string?)col.Attribute("rsc");
            if (rsc is null) { warnings.Add($"{Where(col)}: rsc_colocation '{id}' has no rsc attribute (resource sets are not supported): ignored"); continue; }
            var partner = Attr(col, "with-rsc");
            if (rsc == partner) throw Error(col, $"rsc_colocation '{id}' colocates '{rsc}' with itself");
            var score = ScoreOf(col, Attr(col, "score"));
            if (new[] { rsc, partner }.FirstOrDefault(r => !resources.ContainsKey(r)) is { } missing)
            {
                warnings.Add($"{Where(col)}: rsc_colocation '{id}' names undefined resource '{missing}': ignored");
                continue;
            }
            if (score == 0) continue;
            var into = score > 0 ? with : apart;
            if (!into.TryGetValue(rsc, out var list)) into[rsc] = list = [];
            list.Add(new VmConstraint(partner, Math.Abs(score)));
        }
    }

    private PlacementOptions Options(Dictionary<string, (string Value, XElement Element)> crm, Dictionary<string, (string Value, XElement Element)> defaults)
    {
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
        var stickiness = defaults.TryGetValue("resource-stickiness", out var st) ? ScoreOf(st.Element, st.Value)
            : crm.TryGetValue("default-resource-stickiness", out var old) ? ScoreOf(old.Element, old.Value) : 0;
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

    private static bool Flag(string? value) =>
        value is not null && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase)
            || value == "1" || value.Equals("online", StringComparison.OrdinalIgnoreCase) || value.Equals("on", StringComparison.OrdinalIgnoreCase)
            || value.Equals("y", StringComparison.OrdinalIgnoreCase)
            || (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) && t > 0)); // newer Pacemaker writes a timestamp

    /// <summary>A Pacemaker score: INFINITY, +INFINITY, -INFINITY, or a number — decimals truncated toward zero, as Pacemaker 2.1 reads them — clamped to ±INFINITY.</summary>
    private int ScoreOf(XElement at, string value)
    {
        var v = value.Trim();
        if (v is "INFINITY" or "+INFINITY") return PlacementScores.Infinity;
        if (v == "-INFINITY") return PlacementScores.Banned;
        if (!decimal.TryParse(v, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d))
            throw Error(at, $"score '{value}' is not a number or ±INFINITY");
        return (int)Math.Clamp(decimal.Truncate(d), PlacementScores.Banned, PlacementScores.Infinity);
    }

    private static string ScoreText(long score) => score >= PlacementScores.Infinity ? "INFINITY" : score.ToString(CultureInfo.InvariantCulture);

    private long Integer(XElement at, string what, string value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
            : throw Error(at, $"{what} '{value}' is not an integer");

    private XElement Required(XElement parent, string name) =>
        parent.Element(name) ?? throw Error(parent, $"<{parent.Name.LocalName}> has no <{name}>");

    private string Attr(XElement element, string name) =>
        (string?)element.Attribute(name) ?? throw Error(element, $"<{element.Name.LocalName}> has no {name} attribute");

    private string Where(XElement at) => $"{source}:{((IXmlLineInfo)at).LineNumber}";

    private CibFormatException Error(XElement at, string message) => new($"{Where(at)}: {message}");
}
