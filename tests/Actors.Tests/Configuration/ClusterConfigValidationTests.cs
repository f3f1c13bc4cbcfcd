using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>haven.cluster.nodes, haven.ips.public-addresses and the split-brain rules, with exact messages and origins.</summary>
public sealed class ClusterConfigValidationTests
{
    private const string ThreeNodes = "haven.cluster { node-name = n1, nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }, { name = n3, id = 3 }] }\n";

    private static IReadOnlyList<ConfigProblem> Validate(string text, string? hostName = null) =>
        HavenConfig.Validate(HoconParser.Parse(text, "haven.conf", new HoconParseOptions { Fallback = HavenConfig.Reference }), hostName);

    private static string Only(string text, string? hostName = null) => Assert.Single(Validate(text, hostName)).ToString();

    [Fact]
    public void ThreeNodesAndTwoAddresses_Validate()
    {
        Assert.Empty(Validate(ThreeNodes + """
            haven.ips.public-addresses = [
              { address = "192.0.2.10/24", interface = eth0 },
              { address = "198.51.100.7/32", interface = "bond0.100" },
            ]
            """));
    }

    [Fact]
    public void EmptyNodeList_IsThisHostAlone_WhateverItsName()
    {
        Assert.Empty(Validate("haven.cluster.node-name = anything", hostName: "h1"));
        Assert.Empty(Validate("", hostName: "h1"));
    }

    [Fact]
    public void DuplicateName_IsReportedAtTheSecondEntry()
    {
        Assert.Equal("haven.conf:1:56: haven.cluster.nodes[1].name: node name \"n1\" is already used by haven.cluster.nodes[0]",
            Only("haven.cluster.nodes = [{ name = n1, id = 1 }, { name = n1, id = 2 }]"));
    }

    [Fact]
    public void DuplicateId_IsReportedAtTheSecondEntry()
    {
        Assert.Equal("haven.conf:2:19: haven.cluster.nodes[1].id: node id 7 is already used by haven.cluster.nodes[0]",
            Only("haven.cluster.nodes = [{ name = n1, id = 7 },\n{ name = n2, id = 7 }]"));
    }

    [Theory]
    [InlineData("0", "number 0")]
    [InlineData("-1", "number -1")]
    [InlineData("4294967296", "number 4294967296")]
    [InlineData("1.5", "number 1.5")]
    [InlineData("one", "string \"one\"")]
    [InlineData("[1]", "list")]
    public void BadId_IsRejected(string id, string found)
    {
        Assert.Equal($"haven.conf:1:42: haven.cluster.nodes[0].id: expected a whole number from 1 to 4294967295 (Corosync's nodeid), found {found}",
            Only($"haven.cluster.nodes = [{{ name = n1, id = {id} }}]"));
    }

    [Fact]
    public void LargestId_IsAccepted()
    {
        Assert.Empty(Validate("haven.cluster.nodes = [{ name = n1, id = 4294967295 }]", hostName: "n1"));
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"a b\"")]
    [InlineData("\"n/1\"")]
    [InlineData("\"nœud\"")]
    public void BadName_IsRejected(string name)
    {
        var text = name.Trim('"');
        Assert.Equal($"haven.conf:1:33: haven.cluster.nodes[0].name: invalid node name \"{text}\"; use one or more letters, digits, '.', '_' or '-'",
            Only($"haven.cluster.nodes = [{{ name = {name}, id = 1 }}]"));
    }

    [Fact]
    public void NameWithDotsUnderscoresAndDashes_IsAccepted()
    {
        Assert.Empty(Validate("haven.cluster { node-name = Host_1.rack-2, nodes = [{ name = Host_1.rack-2, id = 1 }] }"));
    }

    [Fact]
    public void MissingFieldsAndUnknownFields_AreEachReported()
    {
        var problems = Validate("haven.cluster.nodes = [{ nmae = n1, id = 1 }]").Select(p => p.ToString()).ToArray();
        Assert.Equal(
            [
                "haven.conf:1:33: haven.cluster.nodes[0].nmae: unknown field nmae; did you mean name?",
                "haven.conf:1:24: haven.cluster.nodes[0].name: is missing; each entry needs name and id",
            ],
            problems);
    }

    [Fact]
    public void EntryThatIsNotAnObject_IsATypeError()
    {
        Assert.Equal("haven.conf:1:24: haven.cluster.nodes[0]: expected an object, found string \"n1\"", Only("haven.cluster.nodes = [n1]"));
    }

    [Fact]
    public void NodeNameNotInTheList_NamesTheKeyAndTheKnownNodes()
    {
        Assert.Equal("haven.conf:1:29: haven.cluster.node-name: node \"n4\" is not in haven.cluster.nodes (known: n1, n2)",
            Only("haven.cluster { node-name = n4, nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }] }"));
    }

    [Fact]
    public void HostNameNotInTheList_WhenNodeNameIsUnset_IsReportedWhenTheHostNameIsKnown()
    {
        const string text = "haven.cluster.nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }]";
        Assert.Equal(
            $"{HavenConfig.Reference.Origin("haven.cluster.node-name")}: haven.cluster.node-name: is \"\", so this host is named by its host name \"box\", which is not in haven.cluster.nodes (known: n1, n2); set haven.cluster.node-name to one of them",
            Only(text, hostName: "box"));
        Assert.StartsWith("reference.conf:", HavenConfig.Reference.Origin("haven.cluster.node-name").ToString());
        Assert.Empty(Validate(text, hostName: "n2"));
        Assert.Empty(Validate(text)); // another host's file: its host name is not known here
    }

    [Theory]
    [InlineData("192.0.2.10", "invalid address \"192.0.2.10\"; expected an IPv4 address with a prefix length, such as 192.0.2.10/24")]
    [InlineData("192.0.2/24", "invalid address \"192.0.2/24\"; expected an IPv4 address with a prefix length, such as 192.0.2.10/24")]
    [InlineData("192.0.2.256/24", "invalid address \"192.0.2.256/24\"; expected an IPv4 address with a prefix length, such as 192.0.2.10/24")]
    [InlineData("010.0.0.1/8", "invalid address \"010.0.0.1/8\"; expected an IPv4 address with a prefix length, such as 192.0.2.10/24")]
    [InlineData("2001:db8::1/64", "invalid address \"2001:db8::1/64\"; expected an IPv4 address with a prefix length, such as 192.0.2.10/24")]
    [InlineData("192.0.2.10/24/1", "invalid address \"192.0.2.10/24/1\"; expected an IPv4 address with a prefix length, such as 192.0.2.10/24")]
    [InlineData("192.0.2.10/", "invalid address \"192.0.2.10/\"; expected an IPv4 address with a prefix length, such as 192.0.2.10/24")]
    [InlineData("192.0.2.10/33", "prefix length 33 of \"192.0.2.10/33\" must be from 1 to 32")]
    [InlineData("192.0.2.10/0", "prefix length 0 of \"192.0.2.10/0\" must be from 1 to 32")]
    public void BadAddress_IsRejected(string address, string message)
    {
        Assert.Equal($"haven.conf:1:43: haven.ips.public-addresses[0].address: {message}",
            Only($"haven.ips.public-addresses = [{{ address = \"{address}\", interface = eth0 }}]"));
    }

    [Theory]
    [InlineData("192.0.2.10/1")]
    [InlineData("192.0.2.10/32")]
    [InlineData("0.0.0.0/8")]
    public void AddressWithHostBitsOrAnyMaskInRange_IsAccepted(string address)
    {
        Assert.Empty(Validate($"haven.ips.public-addresses = [{{ address = \"{address}\", interface = eth0 }}]"));
    }

    [Theory]
    [InlineData("\"\"", "interface name is empty")]
    [InlineData("abcdefghijklmnop", "interface name \"abcdefghijklmnop\" is longer than 15 characters")]
    [InlineData("\".\"", "interface name \".\" is not allowed")]
    [InlineData("\"..\"", "interface name \"..\" is not allowed")]
    [InlineData("\"eth/0\"", "interface name \"eth/0\" contains '/'")]
    [InlineData("\"eth0:1\"", "interface name \"eth0:1\" contains ':'")]
    [InlineData("\"eth 0\"", "interface name \"eth 0\" contains whitespace or a control character")]
    public void BadInterface_IsRejected(string name, string message)
    {
        var problem = Assert.Single(Validate($"haven.ips.public-addresses = [{{ address = \"192.0.2.1/24\", interface = {name} }}]"));
        Assert.Equal(("haven.ips.public-addresses[0].interface", message), (problem.Path, problem.Message));
        Assert.Equal("haven.conf:1:71", problem.Origin);
    }

    [Fact]
    public void FifteenCharacterInterface_IsAccepted()
    {
        Assert.Empty(Validate("haven.ips.public-addresses = [{ address = \"192.0.2.1/24\", interface = abcdefghijklmno }]"));
    }

    [Fact]
    public void DuplicateAddress_IsRejectedEvenWithAnotherMask()
    {
        Assert.Equal("haven.conf:3:13: haven.ips.public-addresses[1].address: address 192.0.2.10 is already used by haven.ips.public-addresses[0]",
            Only("haven.ips.public-addresses = [\n{ address = \"192.0.2.10/24\", interface = eth0 },\n{ address = \"192.0.2.10/25\", interface = eth1 }]"));
    }

    [Fact]
    public void AddressEntry_UnknownAndMissingFields_AreReported()
    {
        var problems = Validate("haven.ips.public-addresses = [{ address = \"192.0.2.1/24\", interfce = eth0 }]").Select(p => (p.Path, p.Message)).ToArray();
        Assert.Equal(
            [
                ("haven.ips.public-addresses[0].interfce", "unknown field interfce; did you mean interface?"),
                ("haven.ips.public-addresses[0].interface", "is missing; each entry needs address and interface"),
            ],
            problems);
    }
}
