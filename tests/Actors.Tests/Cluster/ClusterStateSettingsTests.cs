using Haven.Actors.Cluster;
using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Cluster;

/// <summary>Cluster-wide settings in the replicated state: only reference.conf's keys, with its types, never host-only ones.</summary>
public sealed class ClusterStateSettingsTests
{
    private static readonly ClusterState Empty = ClusterState.Empty;

    [Fact]
    public void SettingChanged_KnownKeyRightType_Stored()
    {
        var state = Empty.Apply(new SettingChanged("haven.heuristics.attempts", "3"));
        Assert.Equal("3", state.Settings["haven.heuristics.attempts"]);
        Assert.Equal(1, state.Version);
    }

    [Fact]
    public void SettingChanged_ThenReset_KeyRemoved()
    {
        var state = Empty.Apply(new SettingChanged("haven.heuristics.interval", "2s")).Apply(new SettingReset("haven.heuristics.interval"));
        Assert.False(state.Settings.ContainsKey("haven.heuristics.interval"));
        Assert.Equal(2, state.Version);
    }

    [Fact]
    public void SettingChanged_UnknownKey_RejectedWithNearestKey()
    {
        Assert.Equal("unknown key haven.heuristic.enabled; did you mean haven.heuristics.enabled?",
            Empty.Validate(new SettingChanged("haven.heuristic.enabled", "on")));
    }

    [Theory]
    [InlineData("haven.heuristics.attempts", "three", "expected a whole number, found string \"three\"")]
    [InlineData("haven.heuristics.interval", "fast", "expected a duration")]
    [InlineData("haven.fencing.enabled", "maybe", "expected a boolean")]
    [InlineData("haven.split-brain-resolver.active-strategy", "keep-majorty", "did you mean keep-majority?")]
    [InlineData("haven.heuristics.addresses", "\"192.0.2.1\"", "expected a list")]
    public void SettingChanged_WrongType_RejectedWithTheValidatorsReason(string key, string value, string reason)
    {
        var why = Empty.Validate(new SettingChanged(key, value));
        Assert.NotNull(why);
        Assert.StartsWith(key + ": ", why);
        Assert.Contains(reason, why);
    }

    [Theory]
    [InlineData("haven.journal.provider", "memory")]
    [InlineData("haven.cluster.name", "other")]
    [InlineData("haven.control.socket", "\"/tmp/x.sock\"")]
    [InlineData("haven.logging.level", "debug")]
    [InlineData("haven.fencing.secrets-file", "\"/etc/haven/secrets.conf\"")]
    [InlineData("haven.fencing.devices", "{ sh { type = fence-agent, agent = \"/bin/sh\" } }")]
    [InlineData("haven.fencing.watchdog.device", "\"/etc/passwd\"")]
    [InlineData("haven.conntrack.binary", "\"/bin/sh\"")]
    [InlineData("haven.conntrack.state-file", "\"/etc/shadow\"")]
    [InlineData("haven.events.scripts-dir", "\"/tmp\"")]
    [InlineData("haven.vms.hypervisors.xen.xe", "\"/bin/sh\"")]
    [InlineData("haven.vms.hypervisors.openvz.vzctl", "\"/bin/sh\"")]
    [InlineData("haven.vms.hypervisors.libvirt.uri", "\"qemu+ext:///system?command=/bin/sh\"")]
    [InlineData("haven.alerts.smtp-password-file", "\"/etc/shadow\"")]
    [InlineData("haven.ips.extra-addresses-file", "\"/etc/shadow\"")]
    public void SettingChanged_HostOnlyKey_RejectedSayingWhereToSetIt(string key, string value)
    {
        Assert.Equal($"{key} is a host setting (@scope host in reference.conf): set it in each host's configuration file, not cluster-wide",
            Empty.Validate(new SettingChanged(key, value)));
    }

    [Fact]
    public void SettingChanged_Section_RejectedNamingItsKeys()
    {
        var why = Empty.Validate(new SettingChanged("haven.heuristics", "{ enabled = on }"));
        Assert.StartsWith("haven.heuristics is a section, not a setting; set its keys one by one (haven.heuristics.enabled,", why);
    }

    [Fact]
    public void SettingChanged_MapEntry_RejectedAskingForTheWholeMap()
    {
        Assert.StartsWith("haven.fencing.devices.amm1 is an entry of haven.fencing.devices",
            Empty.Validate(new SettingChanged("haven.fencing.devices.amm1", "{ type = pool }")));
    }

    [Fact]
    public void SettingChanged_MoreThanOneValue_Rejected()
    {
        var why = Empty.Validate(new SettingChanged("haven.heuristics.attempts", "3\nhaven.journal.provider = memory"));
        Assert.Contains("is not one value", why);
    }

    [Fact]
    public void SettingChanged_SameValueAgain_RejectedAsAlreadySet()
    {
        var state = Empty.Apply(new SettingChanged("haven.heuristics.attempts", "3"));
        Assert.Equal("haven.heuristics.attempts is already 3 cluster-wide", state.Validate(new SettingChanged("haven.heuristics.attempts", "3")));
    }

    [Fact]
    public void SettingChanged_KeyNotWrittenAsReferenceWritesIt_Rejected()
    {
        Assert.Equal("write the key as haven.heuristics.attempts, not ' haven.heuristics.attempts'",
            Empty.Validate(new SettingChanged(" haven.heuristics.attempts", "3")));
    }

    [Fact]
    public void SettingReset_NotSet_Rejected()
    {
        Assert.Equal("haven.heuristics.attempts is not set cluster-wide; there is nothing to reset",
            Empty.Validate(new SettingReset("haven.heuristics.attempts")));
    }

    [Fact]
    public void SettingReset_HostOnlyKey_Rejected()
    {
        Assert.StartsWith("haven.journal.provider is a host setting", Empty.Validate(new SettingReset("haven.journal.provider")));
    }

    [Fact]
    public void HaEnabled_DefaultOnThenFollowsTheClusterSetting()
    {
        Assert.True(Empty.HaEnabled);
        var off = Empty.Apply(new SettingChanged(ClusterWideSettings.HaEnabledKey, "off"));
        Assert.False(off.HaEnabled);
        Assert.True(off.Apply(new SettingChanged(ClusterWideSettings.HaEnabledKey, "yes")).HaEnabled);
        Assert.True(off.Apply(new SettingReset(ClusterWideSettings.HaEnabledKey)).HaEnabled);
    }

    [Fact]
    public void Equality_SameSettingsInAnyOrder_EqualOtherwiseNot()
    {
        var a = Empty.Apply(new SettingChanged("haven.heuristics.attempts", "3")).Apply(new SettingChanged("haven.fencing.enabled", "on"));
        var b = Empty.Apply(new SettingChanged("haven.fencing.enabled", "on")).Apply(new SettingChanged("haven.heuristics.attempts", "3"));
        var c = Empty.Apply(new SettingChanged("haven.fencing.enabled", "on")).Apply(new SettingChanged("haven.heuristics.attempts", "4"));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}

/// <summary>The settings a journal holds, read before the ClusterActor starts.</summary>
public sealed class ClusterSettingsReplayTests
{
    [Fact]
    public void Replay_AppliesOnlyValidSettingsEventsInOrder()
    {
        var settings = ClusterSettingsReplay.Replay([
            new NodeJoined(new Haven.Actors.Membership.NodeId(1), "n1"),
            new SettingChanged("haven.heuristics.attempts", "3"),
            new SettingChanged("haven.journal.provider", "memory"), // host-only: every host skipped it
            new SettingChanged("haven.fencing.min-hosts", "2"),
            new SettingReset("haven.heuristics.attempts"),
            new DemotedLocally("lost"),
        ]);
        Assert.Equal(new Dictionary<string, string> { ["haven.fencing.min-hosts"] = "2" }, settings);
    }

    [Fact]
    public void Replay_StreamReset_DropsTheRecordsAfterTheDivergence()
    {
        var settings = ClusterSettingsReplay.Replay([
            new SettingChanged("haven.fencing.min-hosts", "2"),
            new SettingChanged("haven.heuristics.attempts", "3"), // applied alone, not continued by the primary
            new StreamReset(1),
            new SettingChanged("haven.heuristics.attempts", "5"),
        ]);
        Assert.Equal("2", settings["haven.fencing.min-hosts"]);
        Assert.Equal("5", settings["haven.heuristics.attempts"]);
        Assert.Equal(2, settings.Count);
    }
}
