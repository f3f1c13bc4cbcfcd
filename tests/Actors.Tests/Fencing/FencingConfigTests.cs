using Haven.Actors.Configuration;
using Haven.Actors.Fencing;

namespace Haven.Actors.Tests.Fencing;

public sealed class FencingConfigTests
{
    private const string Full = """
        haven.cluster.nodes = [{ name = node1, id = 1 }, { name = node2, id = 2 }]
        haven.fencing {
          enabled = on
          action = reboot
          min-hosts = 2
          quorum-required = off
          recover-on-failure = on
          reboot-lone-host = on
          priority-delay = 10s
          secrets-file = "/etc/haven/fence-secrets.conf"
          device-timeout = 90s
          device-retries = 2
          devices {
            amm1 { type = snmp-ibm-amm, address = "192.0.2.5:1161", version = v1, no-softoff = on, off-timeout = 20s, poll-interval = 500ms }
            cmm1 { type = snmp-ibm-cmm, address = "cmm1.example.org" }
            ipmi { type = fence-agent, agent = fence_ipmilan, ipaddr = "192.0.2.7", login = admin, plugs { node1 = "1" }, options { lanplus = "1" }, timeout = 30s }
            power { type = script, directory = "/etc/haven/fence" }
            pool { type = pool }
          }
          topology {
            node1 = [[amm1], [ipmi, power]]
            "*" = [[cmm1], [pool]]
          }
        }
        """;

    [Fact]
    public void Read_Reference_IsDisabledWithNoDevices()
    {
        var settings = FencingConfig.Read(Config.Empty);
        Assert.False(settings.Enabled);
        Assert.Equal(FenceAction.Off, settings.Action);
        Assert.Equal(1, settings.Policy.MinHosts);
        Assert.True(settings.Policy.QuorumRequired);
        Assert.False(settings.Policy.RecoverOnFailure);
        Assert.Empty(settings.Devices);
        Assert.Empty(settings.Topology.Hosts);
        Assert.Empty(HavenConfig.Validate(Config.Empty));
    }

    [Fact]
    public void Read_FullExample_GivesTypedSettings()
    {
        var config = Parse(Full);
        Assert.Empty(HavenConfig.Schema.Validate(config));
        var settings = FencingConfig.Read(config);
        Assert.True(settings.Enabled);
        Assert.Equal(FenceAction.Reboot, settings.Action);
        Assert.Equal(new FencingPolicy { MinHosts = 2, QuorumRequired = false, RecoverOnFailure = true, RebootLoneHost = true, PriorityDelay = TimeSpan.FromSeconds(10) }, settings.Policy);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.DeviceTimeout);
        Assert.Equal(2, settings.DeviceRetries);

        var amm = Assert.IsType<SnmpFenceDeviceSettings>(settings.Devices["amm1"]);
        Assert.Equal(("192.0.2.5", 1161, true, true, false), (amm.Host, amm.Port, amm.Version1, amm.NoSoftOff, amm.FlexCmm));
        Assert.Equal(TimeSpan.FromSeconds(20), amm.OffTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), amm.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), amm.SoftOffTimeout);
        var cmm = Assert.IsType<SnmpFenceDeviceSettings>(settings.Devices["cmm1"]);
        Assert.Equal(("cmm1.example.org", 161, false, "snmp-ibm-cmm"), (cmm.Host, cmm.Port, cmm.Version1, cmm.Type));
        var ipmi = Assert.IsType<FenceAgentDeviceSettings>(settings.Devices["ipmi"]);
        Assert.Equal(("fence_ipmilan", "192.0.2.7", "admin", "1", "1"), (ipmi.Agent, ipmi.IpAddress, ipmi.Login, ipmi.Plugs["node1"], ipmi.Options["lanplus"]));
        var power = Assert.IsType<ScriptFenceDeviceSettings>(settings.Devices["power"]);
        Assert.Equal(("/etc/haven/fence", "power"), (power.Directory, power.Script));
        Assert.IsType<PoolFenceDeviceSettings>(settings.Devices["pool"]);

        Assert.Equal([["amm1"], ["ipmi", "power"]], settings.Topology.LevelsFor("node1").Select(l => l.ToArray()));
        Assert.Equal([["cmm1"], ["pool"]], settings.Topology.LevelsFor("node2").Select(l => l.ToArray()));
        Assert.Empty(FencingConfig.Validate(config, ["node1", "node2"]));
    }

    [Theory]
    [InlineData("devices.x { type = snmp-ibm-xyz }", "haven.fencing.devices.x.type", "unknown device type \"snmp-ibm-xyz\"; known types: snmp-ibm-amm, snmp-ibm-cmm, fence-agent, script, pool, watchdog")]
    [InlineData("devices.x { type = watchdog }", "haven.fencing.devices.x.type", "watchdog devices are not supported yet")]
    [InlineData("devices.x { address = \"a\" }", "haven.fencing.devices.x.type", "is missing")]
    [InlineData("devices.x { type = snmp-ibm-amm }", "haven.fencing.devices.x.address", "is missing")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a:99999\" }", "haven.fencing.devices.x.address", "invalid port in \"a:99999\"")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", version = v3 }", "haven.fencing.devices.x.version", "use v1 or v2c (v3 is not supported yet)")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", no-sofoff = on }", "haven.fencing.devices.x.no-sofoff", "did you mean no-softoff?")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", off-timeout = soon }", "haven.fencing.devices.x.off-timeout", "expected a positive duration")]
    [InlineData("devices.x { type = fence-agent }", "haven.fencing.devices.x.agent", "is missing")]
    [InlineData("devices.x { type = fence-agent, agent = fence_ipmilan, options { password = \"p\" } }", "haven.fencing.devices.x.options", "comes from the secrets file")]
    [InlineData("devices.x { type = script, directory = \"relative/dir\" }", "haven.fencing.devices.x.directory", "must be an absolute path")]
    [InlineData("devices.x { type = script, script = \"../evil\" }", "haven.fencing.devices.x.script", "must be letters, digits")]
    [InlineData("devices.\"bad name\" { type = pool }", "haven.fencing.devices.\"bad name\"", "invalid device name")]
    [InlineData("devices.x = 5", "haven.fencing.devices.x", "expected an object")]
    [InlineData("min-hosts = 0", "haven.fencing.min-hosts", "must be at least 1")]
    [InlineData("enabled = on", "haven.fencing.devices", "fencing is enabled but no device is configured")]
    public void Validate_BadDevice_NamesTheKeyAndTheProblem(string fencing, string path, string message)
    {
        var problems = FencingConfig.Validate(Parse($"haven.fencing {{ {fencing} }}"));
        Assert.Contains(problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("node1 = [[amm2]]", "haven.fencing.topology.node1[0][0]", "device amm2 is not in haven.fencing.devices; did you mean amm1?")]
    [InlineData("node1 = []", "haven.fencing.topology.node1", "(empty)")]
    [InlineData("node1 = [amm1]", "haven.fencing.topology.node1[0]", "expected a list of levels")]
    [InlineData("node1 = [[]]", "haven.fencing.topology.node1[0]", "(empty)")]
    [InlineData("node1 = \"amm1\"", "haven.fencing.topology.node1", "expected a list of levels")]
    public void Validate_BadTopology_NamesTheEntry(string topology, string path, string message)
    {
        var problems = FencingConfig.Validate(Parse($"haven.fencing {{ devices.amm1 {{ type = pool }}, topology {{ {topology} }} }}"));
        var problem = Assert.Single(problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.conf:", problem.Origin, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithNodes_ReportsUnknownHostsAndNodesWithoutTopology()
    {
        var config = Parse("haven.fencing { enabled = on, devices.p { type = pool }, topology { node9 = [[p]] } }");
        var problems = FencingConfig.Validate(config, ["node1", "node2"]);
        Assert.Contains(problems, p => p.Path == "haven.fencing.topology.node9" && p.Message.Contains("not in haven.cluster.nodes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Message.Contains("node node1 has no fencing topology", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Message.Contains("node node2 has no fencing topology", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_FirstProblem_ThrowsConfigException()
    {
        var error = Assert.Throws<ConfigException>(() => FencingConfig.Read(Parse("haven.fencing.devices.x { type = nope }")));
        Assert.Equal("haven.fencing.devices.x.type", error.Path);
    }

    [Theory]
    [InlineData("haven.fencing.min-host = 2", "haven.fencing.min-host")]
    [InlineData("haven.fencing.action = on", "haven.fencing.action")]
    [InlineData("haven.fencing.devices = 3", "haven.fencing.devices")]
    public void Schema_UnknownOrWrongFencingKey_IsReported(string text, string path) =>
        Assert.Contains(HavenConfig.Schema.Validate(Parse(text)), p => p.Path == path);

    [Fact]
    public void ParseSecrets_CommunityAndPassword_AreReadAndHidden()
    {
        var secrets = FencingConfig.ParseSecrets("amm1.community = \"s3cr3t-c\"\nipmi.password = \"p4ss\"", "secrets.conf");
        Assert.Equal("s3cr3t-c", secrets.For("amm1").Community);
        Assert.Equal("p4ss", secrets.For("ipmi").Password);
        Assert.Null(secrets.For("other").Password);
        var shown = secrets + " " + secrets.For("amm1") + " " + secrets.For("ipmi");
        Assert.DoesNotContain("s3cr3t-c", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("p4ss", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSecrets_UnknownField_IsRejected()
    {
        var error = Assert.Throws<ConfigException>(() => FencingConfig.ParseSecrets("amm1.comunity = \"x\"", "secrets.conf"));
        Assert.Equal("amm1.comunity", error.Path);
        Assert.DoesNotContain("\"x\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckSecrets_SnmpDeviceWithoutCommunity_AndUnknownDevice_AreReported()
    {
        var settings = FencingConfig.Read(Parse("haven.fencing.devices { amm1 { type = snmp-ibm-amm, address = a }, p { type = pool } }"));
        var problems = FencingConfig.CheckSecrets(settings, FencingConfig.ParseSecrets("amm9.community = x", "s"));
        Assert.Contains("device amm1 (snmp-ibm-amm) needs amm1.community in the secrets file", problems);
        Assert.Contains("the secrets file has secrets for amm9, which is not in haven.fencing.devices", problems);
        Assert.Empty(FencingConfig.CheckSecrets(settings, FencingConfig.ParseSecrets("amm1.community = x", "s")));
    }

    [Theory]
    [InlineData("amm1", "amm1", 161)]
    [InlineData("192.0.2.1:1161", "192.0.2.1", 1161)]
    [InlineData("[::1]:1161", "::1", 1161)]
    [InlineData("[fe80::1]", "fe80::1", 161)]
    public void TryParseAddress_Forms_AreRead(string text, string host, int port)
    {
        Assert.True(FencingConfig.TryParseAddress(text, out var h, out var p, out var error), error);
        Assert.Equal((host, port), (h, p));
    }

    private static Config Parse(string text) => HoconParser.Parse(text, "test.conf");
}
