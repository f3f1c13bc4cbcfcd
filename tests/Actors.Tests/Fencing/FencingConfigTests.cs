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
    [InlineData("devices.x { type = watchdog }", "haven.fencing.devices.x.type", "safe only when every host runs the watchdog: set haven.fencing.watchdog.enabled = on")]
    [InlineData("watchdog.enabled = on, devices.x { type = watchdog, safety-factor = 1 }", "haven.fencing.devices.x.safety-factor", "is shorter than a lost host may take to reset")]
    [InlineData("watchdog.enabled = on, devices.x { type = watchdog, watchdog-timeout = 5s }", "haven.fencing.devices.x.watchdog-timeout", "watchdog-timeout × safety-factor = 10 s is shorter")]
    [InlineData("watchdog.enabled = on, devices.x { type = watchdog, safety-factor = 0.5 }", "haven.fencing.devices.x.safety-factor", "expected a number of at least 1")]
    [InlineData("watchdog.enabled = on, devices.x { type = watchdog } }, haven.split-brain-resolver { no-quorum-policy = freeze", "haven.fencing.devices.x.type", "no-quorum-policy freeze or ignore keeps its VMs")]
    [InlineData("watchdog.enabled = on, devices.x { type = watchdog, timeout = 5s }", "haven.fencing.devices.x.timeout", "unknown field timeout for type watchdog; known fields: type, watchdog-timeout, safety-factor")]
    [InlineData("watchdog { timeout = 10s, demote-timeout = 10s }", "haven.fencing.watchdog.demote-timeout", "must be shorter than timeout (10 s)")]
    [InlineData("watchdog { timeout = 1500ms }", "haven.fencing.watchdog.timeout", "must be a whole number of seconds")]
    [InlineData("watchdog { device = \"watchdog0\" }", "haven.fencing.watchdog.device", "must be an absolute path")]
    [InlineData("devices.x { address = \"a\" }", "haven.fencing.devices.x.type", "is missing")]
    [InlineData("devices.x { type = snmp-ibm-amm }", "haven.fencing.devices.x.address", "is missing")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a:99999\" }", "haven.fencing.devices.x.address", "invalid port in \"a:99999\"")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", version = v4 }", "haven.fencing.devices.x.version", "unsupported SNMP version \"v4\"; use v1, v2c or v3")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", version = v3 }", "haven.fencing.devices.x.user", "is missing")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", version = v3, user = \"\" }", "haven.fencing.devices.x.user", "1 to 32 bytes")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", version = v3, user = u, auth-protocol = sha256 }", "haven.fencing.devices.x.auth-protocol", "use sha (HMAC-SHA-96) or md5")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", version = v3, user = u, priv-protocol = des }", "haven.fencing.devices.x.priv-protocol", "use aes (AES-128-CFB) or none")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", user = u }", "haven.fencing.devices.x.user", "user is only for version = v3")]
    [InlineData("devices.x { type = snmp-ibm-amm, address = \"a\", version = v1, priv-protocol = none }", "haven.fencing.devices.x.priv-protocol", "only for version = v3")]
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

    [Fact]
    public void Read_V3Device_GivesUserAndProtocols()
    {
        var settings = FencingConfig.Read(Parse("""
            haven.fencing.devices {
              a { type = snmp-ibm-amm, address = a, version = v3, user = haven }
              b { type = snmp-ibm-cmm, address = b, version = v3, user = ops, auth-protocol = md5, priv-protocol = none }
              c { type = snmp-ibm-amm, address = c }
            }
            """));
        Assert.Equal(new SnmpV3Settings("haven", SnmpAuthProtocol.Sha, SnmpPrivProtocol.Aes), ((SnmpFenceDeviceSettings)settings.Devices["a"]).V3);
        Assert.Equal(new SnmpV3Settings("ops", SnmpAuthProtocol.Md5, SnmpPrivProtocol.None), ((SnmpFenceDeviceSettings)settings.Devices["b"]).V3);
        Assert.Null(((SnmpFenceDeviceSettings)settings.Devices["c"]).V3);
    }

    [Fact]
    public void CheckSecrets_V3Device_NeedsAuthAndPrivPasswordsNotACommunity()
    {
        var settings = FencingConfig.Read(Parse("""
            haven.fencing.devices {
              a { type = snmp-ibm-amm, address = a, version = v3, user = haven }
              b { type = snmp-ibm-amm, address = b, version = v3, user = ops, priv-protocol = none }
            }
            """));
        var problems = FencingConfig.CheckSecrets(settings, FencingConfig.ParseSecrets("a.community = x\nb.auth-password = \"authonly123\"", "s"));
        Assert.Equal(
            ["device a (snmp-ibm-amm, SNMPv3 user haven) needs a.auth-password in the secrets file",
             "device a (snmp-ibm-amm, SNMPv3 user haven) needs a.priv-password in the secrets file"],
            problems);
        Assert.Empty(FencingConfig.CheckSecrets(settings, FencingConfig.ParseSecrets(
            "a.auth-password = \"authpass123\"\na.priv-password = \"privpass123\"\nb.auth-password = \"authonly123\"", "s")));
    }

    [Fact]
    public void ParseSecrets_V3Passwords_AreReadAndHidden()
    {
        var secrets = FencingConfig.ParseSecrets("amm1.auth-password = \"a-secret-1\"\namm1.priv-password = \"p-secret-2\"", "secrets.conf");
        Assert.Equal(("a-secret-1", "p-secret-2"), (secrets.For("amm1").AuthPassword, secrets.For("amm1").PrivPassword));
        var shown = secrets + " " + secrets.For("amm1");
        Assert.DoesNotContain("a-secret-1", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("p-secret-2", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Watchdog_DefaultsAndDevice()
    {
        var reference = FencingConfig.Read(Config.Empty).Watchdog;
        Assert.Equal(new WatchdogSettings { Enabled = false, Device = "/dev/watchdog", Timeout = TimeSpan.FromSeconds(10), DemoteTimeout = TimeSpan.FromSeconds(5) }, reference);
        var config = Parse("haven.fencing { watchdog { enabled = on, device = \"/dev/watchdog1\", timeout = 20s, demote-timeout = 8s }, devices.wd { type = watchdog } }");
        Assert.Empty(HavenConfig.Schema.Validate(config));
        Assert.Empty(FencingConfig.Validate(config));
        var settings = FencingConfig.Read(config);
        Assert.Equal(new WatchdogSettings { Enabled = true, Device = "/dev/watchdog1", Timeout = TimeSpan.FromSeconds(20), DemoteTimeout = TimeSpan.FromSeconds(8) }, settings.Watchdog);
        var wd = Assert.IsType<WatchdogFenceDeviceSettings>(settings.Devices["wd"]);
        Assert.Equal((TimeSpan.FromSeconds(20), 2.0, TimeSpan.FromSeconds(40)), (wd.WatchdogTimeout, wd.SafetyFactor, wd.Wait));
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
