using System.Diagnostics;
using System.Runtime.CompilerServices;
using Haven.Actors.Placement;
using Haven.Adapters.Placement;

namespace Haven.Adapters.Tests.Placement;

public sealed class CibReaderTests
{
    /// <summary>Runs gen_cib.py (beside this file) with NODES VMS LOST and returns the CIB it prints.</summary>
    internal static string GenerateCib(int nodes, int vms, int lost) => GenerateCibAt(nodes, vms, lost);

    private static string GenerateCibAt(int nodes, int vms, int lost, [CallerFilePath] string here = "")
    {
        var script = Path.Combine(Path.GetDirectoryName(here)!, "gen_cib.py");
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { script, nodes.ToString(), vms.ToString(), lost.ToString() }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"gen_cib.py failed: {stderr}");
        return stdout.Result;
    }

    private static PlacementInput Read(string xml) => CibReader.Read(new StringReader(xml), "test.xml");

    [Fact]
    public void Read_GeneratedCib_ReadsNodesVmsOptionsAndState()
    {
        var input = Read(GenerateCib(4, 20, 2));

        Assert.Equal(["node1", "node2", "node3", "node4"], input.Nodes.Select(n => n.Name));
        Assert.Equal(NodeHealth.Lost, input.Nodes.Single(n => n.Name == "node2").Health);
        Assert.All(input.Nodes.Where(n => n.Name != "node2"), n => Assert.Equal(NodeHealth.Online, n.Health));
        Assert.All(input.Nodes, n => Assert.Equal(new Capacity(64, 262144), n.Capacity));

        Assert.Equal(21, input.Vms.Length); // the stonith primitive is a resource too: Pacemaker places and counts it
        Assert.Equal(("fence", "node1", 0), (input.Vms[0].Name, input.Vms[0].CurrentNode, input.Vms[0].Order));
        var vm5 = input.Vms.Single(v => v.Name == "vm5");
        Assert.Equal(new Capacity(1, 512), vm5.Utilization);
        Assert.True(vm5.Running);
        Assert.Equal("node2", vm5.CurrentNode);
        Assert.True(vm5.AllowMigrate);
        Assert.Equal<NodePreference>([new NodePreference("node2", 1000)], vm5.Preferences);
        Assert.All(input.Vms.Skip(1), v => Assert.Equal($"node{int.Parse(v.Name[2..]) % 4 + 1}", v.CurrentNode));

        Assert.Equal(new PlacementOptions(PlacementStrategy.Balanced, 10000, 24, 5), input.Options);
    }

    [Fact]
    public void Read_GeneratedCib_PlansTheLostNodesVmsOntoSurvivors()
    {
        var plan = PlacementEngine.Plan(Read(GenerateCib(4, 40, 3)));

        Assert.Equal<string>(["node3"], plan.Fence);
        Assert.Equal(10, plan.Actions.Length);
        Assert.All(plan.Actions, a => Assert.Equal(("start", "node3"), (a.ActionName, a.From)));
        Assert.DoesNotContain(plan.Actions, a => a.To == "node3");
    }

    [Fact]
    public void Read_NoLostNode_AllOnline()
    {
        var input = Read(GenerateCib(3, 6, 0));

        Assert.All(input.Nodes, n => Assert.Equal(NodeHealth.Online, n.Health));
        Assert.Empty(PlacementEngine.Plan(input).Actions);
    }

    [Fact]
    public void Read_StoppedHistoryAndUncleanNode_AreRead()
    {
        const string xml = """
            <cib><configuration><crm_config/>
            <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes>
            <resources><primitive id="v1" class="ocf" type="VirtualDomain"><meta_attributes id="m"><nvpair id="p" name="priority" value="7"/><nvpair id="t" name="target-role" value="Stopped"/></meta_attributes></primitive>
            <primitive id="v2" class="ocf" type="VirtualDomain"/></resources>
            <constraints><rsc_location id="l" rsc="v2" node="a" score="-INFINITY"/></constraints></configuration>
            <status><node_state id="1" uname="a" in_ccm="true" crmd="online"><lrm><lrm_resources>
              <lrm_resource id="v1"><lrm_rsc_op id="s" operation="start" call-id="1" rc-code="0" interval="0"/><lrm_rsc_op id="t" operation="stop" call-id="2" rc-code="0" interval="0"/></lrm_resource>
            </lrm_resources></lrm></node_state>
            <node_state id="2" uname="b" in_ccm="true" crmd="online" unclean="true"><lrm><lrm_resources>
              <lrm_resource id="v2"><lrm_rsc_op id="m" operation="monitor" call-id="3" rc-code="0" interval="60000"/><lrm_rsc_op id="s" operation="start" call-id="2" rc-code="0" interval="0"/></lrm_resource>
            </lrm_resources></lrm></node_state></status></cib>
            """;
        var input = Read(xml);

        var v1 = input.Vms.Single(v => v.Name == "v1");
        Assert.False(v1.Running);
        Assert.False(v1.Wanted);
        Assert.Equal(7, v1.Priority);
        var v2 = input.Vms.Single(v => v.Name == "v2");
        Assert.Equal(("b", true), (v2.CurrentNode, v2.Running));
        Assert.Equal(PlacementScores.Banned, v2.Preferences.Single().Score);
        Assert.Equal(NodeHealth.Lost, input.Nodes.Single(n => n.Name == "b").Health);
        Assert.Equal(PlacementOptions.Default, input.Options);
        Assert.Equal(Capacity.Unlimited, input.Nodes[0].Capacity); // default strategy: no utilization means no limit
    }

    [Fact]
    public void Read_RscColocation_BecomesAffinityAndAntiAffinity()
    {
        const string xml = """
            <cib><configuration><crm_config/>
            <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes>
            <resources><primitive id="db" class="ocf"/><primitive id="web" class="ocf"/><primitive id="db2" class="ocf"/></resources>
            <constraints><rsc_colocation id="c1" rsc="web" with-rsc="db" score="INFINITY"/>
            <rsc_colocation id="c2" rsc="db2" with-rsc="db" score="-200"/><rsc_colocation id="c3" rsc="db2" with-rsc="web" score="0"/></constraints></configuration>
            <status><node_state id="1" uname="a" in_ccm="true" crmd="online"/><node_state id="2" uname="b" in_ccm="true" crmd="online"/></status></cib>
            """;
        var input = Read(xml);

        var web = input.Vms.Single(v => v.Name == "web");
        var db2 = input.Vms.Single(v => v.Name == "db2");
        Assert.Equal<VmConstraint>([new VmConstraint("db", PlacementScores.Infinity)], web.With);
        Assert.Equal<VmConstraint>([new VmConstraint("db", 200)], db2.Apart);
        Assert.Empty(db2.With);
        var plan = PlacementEngine.Plan(input);
        Assert.Equal(plan.Actions.Single(a => a.Vm == "db").To, plan.Actions.Single(a => a.Vm == "web").To);
        Assert.NotEqual(plan.Actions.Single(a => a.Vm == "db").To, plan.Actions.Single(a => a.Vm == "db2").To);
    }

    [Theory]
    [InlineData("<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources><primitive id=\"v\" class=\"ocf\"/></resources>\n<constraints><rsc_colocation id=\"c\" rsc=\"v\" with-rsc=\"v\" score=\"5\"/></constraints></configuration></cib>",
        "test.xml:2: rsc_colocation 'c' colocates 'v' with itself")]
    [InlineData("<cib><configuration>", "test.xml:1: not well-formed XML")]
    [InlineData("<foo/>", "test.xml:1: the root element is <foo>, expected <cib>")]
    [InlineData("<cib>\n<status/></cib>", "test.xml:1: <cib> has no <configuration>")]
    [InlineData("<cib><configuration>\n<nodes/><resources/></configuration></cib>", "test.xml:2: <nodes> lists no node")]
    [InlineData("<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes></configuration></cib>", "<configuration> has no <resources>")]
    [InlineData("<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources>\n<primitive id=\"v\" class=\"ocf\"><utilization id=\"u\"><nvpair id=\"c\" name=\"cpu\" value=\"two\"/></utilization></primitive></resources></configuration></cib>",
        "test.xml:2: cpu 'two' is not an integer")]
    [InlineData("<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources>\n<primitive id=\"v\" class=\"ocf\"><utilization id=\"u\"><nvpair id=\"c\" name=\"memory\" value=\"-5\"/></utilization></primitive></resources></configuration></cib>",
        "test.xml:2: memory utilization -5 is negative")]
    [InlineData("<cib><configuration><crm_config><cluster_property_set id=\"o\">\n<nvpair id=\"s\" name=\"placement-strategy\" value=\"fancy\"/></cluster_property_set></crm_config><nodes><node id=\"1\" uname=\"a\"/></nodes><resources/></configuration></cib>",
        "test.xml:2: placement-strategy 'fancy' is not one of")]
    [InlineData("<cib><configuration><nodes><node id=\"1\" uname=\"a\"/>\n<node id=\"2\" uname=\"a\"/></nodes><resources/></configuration></cib>", "test.xml:2: node 'a' is defined twice")]
    public void Read_Malformed_FailsNamingFileLineAndProblem(string xml, string message)
    {
        var e = Assert.Throws<CibFormatException>(() => Read(xml));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("<rsc_location id=\"l\" rsc=\"v\" node=\"zz\" score=\"5\"/>", "test.xml:2: rsc_location 'l' names undefined node 'zz': ignored")]
    [InlineData("<rsc_location id=\"l\" rsc=\"w\" node=\"a\" score=\"5\"/>", "test.xml:2: rsc_location 'l' names undefined resource 'w': ignored")]
    [InlineData("<rsc_colocation id=\"c\" rsc=\"v\" with-rsc=\"w\" score=\"5\"/>", "test.xml:2: rsc_colocation 'c' names undefined resource 'w': ignored")]
    [InlineData("<rsc_location id=\"r\" rsc=\"v\"><rule id=\"x\" score=\"5\"/></rsc_location>", "test.xml:2: rsc_location 'r' has no node attribute (rules are not supported): ignored")]
    public void ReadModel_ConstraintNamingUndefinedNodeOrResource_IsIgnoredWithAWarning(string constraint, string warning)
    {
        var xml = "<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources><primitive id=\"v\" class=\"ocf\"/></resources>\n<constraints>"
                  + constraint + "</constraints></configuration></cib>";

        var model = CibReader.ReadModel(new StringReader(xml), "test.xml");

        Assert.Equal<string>([warning], model.Warnings);
        Assert.Empty(model.Input.Vms.Single().Preferences);
        Assert.Empty(model.Input.Vms.Single().With);
    }

    [Theory]
    [InlineData("1.9", 1)]
    [InlineData("-0.5", 0)]
    [InlineData("-2.7", -2)]
    [InlineData("+INFINITY", PlacementScores.Infinity)]
    [InlineData("-INFINITY", PlacementScores.Banned)]
    [InlineData("99999999", PlacementScores.Infinity)]
    public void Read_Scores_DecimalsTruncatedAndInfinityClamped(string score, int expected)
    {
        var xml = "<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources><primitive id=\"f\" class=\"stonith\"/></resources>"
                  + $"<constraints><rsc_location id=\"l\" rsc=\"f\" node=\"a\" score=\"{score}\"/></constraints></configuration></cib>";

        Assert.Equal<NodePreference>([new NodePreference("a", expected)], Read(xml).Vms.Single().Preferences);
    }

    [Fact]
    public void Read_BadScore_FailsNamingIt()
    {
        const string xml = "<cib><configuration><nodes><node id=\"1\" uname=\"a\"/></nodes><resources><primitive id=\"v\" class=\"ocf\"/></resources>\n<constraints><rsc_location id=\"l\" rsc=\"v\" node=\"a\" score=\"high\"/></constraints></configuration></cib>";

        Assert.Contains("test.xml:2: score 'high' is not a number or ±INFINITY", Assert.Throws<CibFormatException>(() => Read(xml)).Message);
    }

    [Fact]
    public void ReadFile_TruncatedGeneratedCib_NamesTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"haven-cib-{Guid.NewGuid():N}.xml");
        var xml = GenerateCib(2, 4, 0);
        File.WriteAllText(path, xml[..(xml.Length / 2)]);
        try
        {
            var e = Assert.Throws<CibFormatException>(() => CibReader.ReadFile(path));
            Assert.StartsWith(path + ":", e.Message);
            Assert.Contains("not well-formed XML", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
