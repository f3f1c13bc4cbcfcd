using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;
using static Haven.Actors.Tests.Vms.VmStateTests;

namespace Haven.Actors.Tests.Vms;

/// <summary>VmRecovery with colocation constraints and appliance groups.</summary>
public sealed class VmRecoveryConstraintTests
{
    private static readonly NodeId[] All = [N(1), N(2), N(3)];
    private static readonly VmServices Services = new(new Dictionary<string, IHypervisor>());
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static ClusterState Running(ClusterState state, string vm, uint node) =>
        state.Apply(new VmPlaced(vm, N(node))).Apply(new VmRunning(vm, N(node)));

    private static VmSpec Grouped(string name, int order, TimeSpan delay = default) =>
        Web(name) with { Group = "SHOP", Order = order, StartDelay = delay };

    [Fact]
    public void Decide_HardApartVms_ArePlacedOnDifferentNodes()
    {
        var state = ThreeUp().Apply(new VmAdded(Web("DB-01", preferences: new NodePreference("node1", 100))))
            .Apply(new VmAdded(Web("DB-02", preferences: new NodePreference("node1", 100)) with { Apart = [new VmConstraint("DB-01")] }));

        var placed = VmRecovery.Decide(state, All, Services).OfType<VmPlaced>().ToDictionary(p => p.Name, p => p.Node);

        Assert.Equal(2, placed.Count);
        Assert.NotEqual(placed["DB-01"], placed["DB-02"]);
    }

    [Fact]
    public void Decide_HardWithAfterHostFenced_FollowsItsPartner()
    {
        var state = ThreeUp().Apply(new VmAdded(Web("DB-01", preferences: new NodePreference("node3", 50))))
            .Apply(new VmAdded(Web("WEB-01", preferences: new NodePreference("node1", 500)) with { With = [new VmConstraint("DB-01")] }));
        state = Running(Running(state, "DB-01", 2), "WEB-01", 2).Apply(new NodeDown(N(2), "lost")).Apply(new NodeFenced(N(2), "pdu"));

        var events = VmRecovery.Decide(state, [N(1), N(3)], Services);

        Assert.Equal(N(3), events.OfType<VmPlaced>().Single(p => p.Name == "DB-01").Node);
        Assert.Equal(N(3), events.OfType<VmPlaced>().Single(p => p.Name == "WEB-01").Node);
    }

    [Fact]
    public void Explain_HardWith_ListsTheConstraintAndItsScore()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web("DB-01"))), "DB-01", 2)
            .Apply(new VmAdded(Web("WEB-01") with { With = [new VmConstraint("DB-01")] }));

        var lines = VmRecovery.Explain(state, All, Services, "WEB-01");

        Assert.Contains(lines, l => l.Contains("with DB-01 (INFINITY): DB-01 is on node2"));
    }

    [Fact]
    public void Decide_PartnerRemoved_NoLongerConstrains()
    {
        var state = ThreeUp().Apply(new VmAdded(Web("DB-01"))).Apply(new VmAdded(Web("WEB-01") with { With = [new VmConstraint("DB-01")] }))
            .Apply(new VmRemoved("DB-01"));

        Assert.Contains(VmRecovery.Decide(state, All, Services), e => e is VmPlaced { Name: "WEB-01" });
    }

    [Fact]
    public void Decide_GroupHigherOrder_WaitsUntilLowerOrdersRun()
    {
        var state = ThreeUp().Apply(new VmAdded(Grouped("DB-01", 0))).Apply(new VmAdded(Grouped("WEB-01", 1)))
            .Apply(new VmAdded(Web("OTHER-01")));

        var first = VmRecovery.Decide(state, All, Services);
        Assert.Equal(["DB-01", "OTHER-01"], first.OfType<VmPlaced>().Select(p => p.Name).Order(StringComparer.Ordinal));

        var starting = state.ApplyAll(first);
        Assert.DoesNotContain(VmRecovery.Decide(starting, All, Services), e => e is VmPlaced { Name: "WEB-01" });

        var db = first.OfType<VmPlaced>().Single(p => p.Name == "DB-01");
        var running = starting.Apply(new VmRunning("DB-01", db.Node));
        Assert.Contains(VmRecovery.Decide(running, All, Services), e => e is VmPlaced { Name: "WEB-01" });
    }

    [Fact]
    public void Decide_GroupStartDelay_HeldUntilDueAndWakeReported()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Grouped("DB-01", 0))), "DB-01", 1)
            .Apply(new VmAdded(Grouped("WEB-01", 1, TimeSpan.FromSeconds(10))));
        var since = new Dictionary<string, DateTimeOffset> { ["DB-01"] = T0 };

        var early = VmRecovery.Decide(state, All, Services, new VmGroupClock(T0.AddSeconds(4), since), out var wakeAt);
        var due = VmRecovery.Decide(state, All, Services, new VmGroupClock(T0.AddSeconds(10), since), out var noWake);

        Assert.DoesNotContain(early, e => e is VmPlaced);
        Assert.Equal(T0.AddSeconds(10), wakeAt);
        Assert.Contains(due, e => e is VmPlaced { Name: "WEB-01" });
        Assert.Null(noWake);
    }

    [Theory]
    [InlineData("WEB-01", "itself")]
    [InlineData("x", "too short")]
    public void Check_BadConstraint_NamesTheProblem(string partner, string expected)
    {
        var spec = Web("WEB-01") with { Apart = [new VmConstraint(partner)] };

        Assert.Contains(expected, VmSpecRules.Check(spec));
    }

    [Fact]
    public void Check_OrderWithoutGroup_Refused()
    {
        Assert.Contains("needs a group", VmSpecRules.Check(Web("WEB-01") with { Order = 2 }));
    }
}

public sealed class VmSpecJournalTests
{
    private static readonly Haven.Actors.Persistence.JsonEventSerializer Serializer = new(HavenManifests.CreateRegistry());

    private static object Read(string manifest, byte[] payload) =>
        Serializer.Deserialize(new Haven.Actors.Persistence.JournalEntry("cluster", 1, manifest, payload, DateTimeOffset.UnixEpoch, []));

    [Fact]
    public void VmAdded_OldJournalWithoutConstraints_DeserializesWithDefaults()
    {
        var (manifest, payload) = Serializer.Serialize(new VmAdded(Web("WEB-01")));
        var old = System.Text.Encoding.UTF8.GetString(payload);
        foreach (var field in new[] { "With", "Apart", "Group", "Order", "StartDelay" })
            old = System.Text.RegularExpressions.Regex.Replace(old, $",\"{field}\":(\\[\\]|null|0|\"00:00:00\")", "", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        Assert.DoesNotContain("apart", old, StringComparison.OrdinalIgnoreCase);

        var added = Assert.IsType<VmAdded>(Read(manifest, System.Text.Encoding.UTF8.GetBytes(old)));

        Assert.Empty(added.Vm.With);
        Assert.Empty(added.Vm.Apart);
        Assert.Null(added.Vm.Group);
        Assert.Equal(new VmAdded(Web("WEB-01")), added);
    }

    [Fact]
    public void VmAdded_WithConstraintsAndGroup_RoundTrips()
    {
        var spec = Web("WEB-01") with
        {
            With = [new VmConstraint("DB-01")], Apart = [new VmConstraint("WEB-02", 300)], Group = "SHOP", Order = 2, StartDelay = TimeSpan.FromSeconds(10),
        };
        var (manifest, payload) = Serializer.Serialize(new VmAdded(spec));

        Assert.DoesNotContain("ScoreText", System.Text.Encoding.UTF8.GetString(payload), StringComparison.OrdinalIgnoreCase); // derived, not journaled
        Assert.Equal(new VmAdded(spec), Read(manifest, payload));
    }
}
