using System.Collections.Concurrent;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// A cluster-wide change is checked by every host in the view, each against its own file, before it is replicated
/// (issue 16 item 2): one refusal, or one host that does not answer by the deadline, and nothing changes anywhere.
/// </summary>
public sealed class ClusterSettingsCheckTests : HavenTestKit
{
    private const string Strategy = "haven.split-brain-resolver.active-strategy";
    private const string QuorumSize = "haven.split-brain-resolver.static-quorum.quorum-size";
    private const string Attempts = "haven.heuristics.attempts";

    private TestCluster Formed(Func<ClusterOptions, ClusterOptions>? configure = null, Action<TestCluster>? beforeStart = null)
    {
        var cluster = new TestCluster(this, 3, configure: configure);
        beforeStart?.Invoke(cluster);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        return cluster;
    }

    /// <summary>Asks and runs the cluster for <paramref name="run"/>; the answer must have come by then.</summary>
    private static OperatorCommandResult Ask(TestCluster cluster, TestCluster.Host host, object message, TimeSpan? run = null)
    {
        var answer = host.Actor!.Ask<OperatorCommandResult>(message, TimeSpan.FromSeconds(60));
        cluster.Run(run ?? TimeSpan.FromSeconds(2));
        return Answered(answer);
    }

    private static OperatorCommandResult Answered(Task<OperatorCommandResult> answer)
    {
        Assert.True(answer.IsCompletedSuccessfully, answer.Exception?.ToString() ?? "no answer yet");
        return answer.Result;
    }

    private static Config HostFile(uint node, string text) => HoconParser.Parse(text, $"/etc/haven/node{node}.conf");

    [Fact]
    public void SetSetting_AnotherHostsFileCannotUseIt_RefusedNamingThatHostAndNothingChanged()
    {
        // node1 and node3 have a quorum size in their own files; node2 has none: static-quorum would stop node2's start.
        var cluster = Formed(o => o.Self.Id.Value == 2 ? o : o with { HostConfig = HostFile(o.Self.Id.Value, $"{QuorumSize} = 1") });
        var before = cluster.Hosts.Select(h => h.View!.StreamIndex).ToList();

        var result = Ask(cluster, cluster[1], new SetSetting(Strategy, "static-quorum"));

        Assert.False(result.Accepted, result.Message);
        var lines = result.Message.Split('\n');
        Assert.True(lines.Length == 2, result.Message);
        Assert.StartsWith($"node2 refuses the change of {Strategy}: {QuorumSize}", lines[0]);
        Assert.Equal("nothing was changed on any host", lines[1]);
        cluster.Run(TimeSpan.FromSeconds(3));
        Assert.Equal(before, cluster.Hosts.Select(h => h.View!.StreamIndex).ToList());
        Assert.All(cluster.Hosts, h => Assert.Empty(h.View!.State.Settings));
    }

    [Fact]
    public void ResetSetting_AnotherHostNeedsTheClusterValue_RefusedNamingThatHost()
    {
        var cluster = Formed(o => o.Self.Id.Value == 3 ? o : o with { HostConfig = HostFile(o.Self.Id.Value, $"{QuorumSize} = 1") });
        var size = Ask(cluster, cluster[1], new SetSetting(QuorumSize, "1"));
        Assert.True(size.Accepted, size.Message);
        var strategy = Ask(cluster, cluster[1], new SetSetting(Strategy, "static-quorum"));
        Assert.True(strategy.Accepted, strategy.Message);

        // node1's own file has a quorum size, node3's has not: without the cluster-wide one node3 could not start.
        var result = Ask(cluster, cluster[1], new ResetSetting(QuorumSize));

        Assert.False(result.Accepted, result.Message);
        Assert.StartsWith($"node3 refuses the change of {QuorumSize}: {QuorumSize}", result.Message);
        Assert.All(cluster.Hosts, h => Assert.Equal("1", h.View!.State.Settings[QuorumSize]));
    }

    [Fact]
    public void SetSetting_TwoHostsRefuse_OneLinePerHost()
    {
        var cluster = Formed(o => o.Self.Id.Value == 1 ? o : o with { ValidateSettings = AtMost(o.Self.Name, 3) });

        var result = Ask(cluster, cluster[1], new SetSetting(Attempts, "4"));

        Assert.False(result.Accepted, result.Message);
        Assert.Equal($"node2 refuses the change of {Attempts}: {Attempts}: node2 allows at most 3\n"
                     + $"node3 refuses the change of {Attempts}: {Attempts}: node3 allows at most 3\n"
                     + "nothing was changed on any host", result.Message);
        Assert.All(cluster.Hosts, h => Assert.Empty(h.View!.State.Settings));
    }

    [Fact]
    public void SetSetting_EveryHostAccepts_EachCheckedTheResultingConfigurationAndItIsApplied()
    {
        var seen = new ConcurrentDictionary<uint, List<string>>();
        var cluster = Formed(o => o with
        {
            ValidateSettings = c =>
            {
                seen.GetOrAdd(o.Self.Id.Value, _ => []).Add(c.GetString(Attempts));
                return [];
            },
        });
        seen.Clear();

        var result = Ask(cluster, cluster[2], new SetSetting(Attempts, "4"));

        Assert.True(result.Accepted, result.Message);
        Assert.All(cluster.Hosts, h => Assert.Equal("4", h.View!.State.Settings[Attempts]));
        // The proposer checks before and after; every other host too, on its own configuration with the change applied.
        Assert.All(new uint[] { 1, 2, 3 }, n => Assert.Contains("4", seen[n]));
    }

    [Fact]
    public void SetSetting_AHostDoesNotAnswer_RefusedAtTheDeadlineAndNeverAppliedLater()
    {
        var held = new HeldAnswers();
        var cluster = Formed(beforeStart: c => c[2].WrapTransport = held.Wrap);
        var sent = Clock.GetUtcNow();
        var deadline = sent + TimeSpan.FromSeconds(8);

        var answer = cluster[1].Actor!.Ask<OperatorCommandResult>(new CommandBefore(new SetSetting(Attempts, "4"), deadline), TimeSpan.FromSeconds(60));
        cluster.Run(TimeSpan.FromSeconds(7));
        Assert.False(answer.IsCompleted, "answered before the deadline although node2 has not answered");
        cluster.Run(TimeSpan.FromSeconds(2));

        var result = Answered(answer);
        Assert.False(result.Accepted, result.Message);
        Assert.Equal($"node2 did not answer the check of {Attempts}\nnothing was changed on any host", result.Message);
        Assert.Equal(1, held.Count);

        // node2's answer arrives after all: the client was told, nothing is applied later.
        held.Release();
        cluster.Run(TimeSpan.FromSeconds(5));
        Assert.All(cluster.Hosts, h => Assert.Empty(h.View!.State.Settings));
    }

    [Fact]
    public void SetSetting_HostOutsideTheView_AppliedAndTheReplySaysItWasNotChecked()
    {
        var cluster = Formed();
        cluster[3].PowerOff();
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.Equal(PartitionRole.Primary, cluster[1].View!.Role);

        var result = Ask(cluster, cluster[1], new SetSetting(Attempts, "4"));

        Assert.True(result.Accepted, result.Message);
        Assert.EndsWith("; node3 is not in this view and could not be checked: a host that cannot use the value skips it at its next start "
                        + "with a warning (haven health shows it)", result.Message);
        Assert.Equal("4", cluster[2].View!.State.Settings[Attempts]);
    }

    [Fact]
    public void SetSetting_MembershipChangesDuringTheCheck_RefusedAndNothingChanged()
    {
        var held = new HeldAnswers();
        var cluster = Formed(beforeStart: c => c[2].WrapTransport = held.Wrap);

        var answer = cluster[1].Actor!.Ask<OperatorCommandResult>(new SetSetting(Attempts, "4"), TimeSpan.FromSeconds(60));
        cluster.Run(TimeSpan.FromMilliseconds(500));
        Assert.False(answer.IsCompleted);
        cluster[3].PowerOff();
        cluster.Run(TimeSpan.FromMilliseconds(500));
        held.Release();
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Equal($"the membership changed while the hosts checked the change of {Attempts}: nothing was changed; try again", Answered(answer).Message);
        Assert.All(cluster.Hosts.Where(h => h.Running), h => Assert.Empty(h.View!.State.Settings));
    }

    /// <summary>A validator refusing more than <paramref name="max"/> heuristic attempts.</summary>
    private static Func<Config, IReadOnlyList<ConfigProblem>> AtMost(string host, int max) => c =>
        c.GetInt(Attempts) > max ? [new ConfigProblem(Attempts, $"{host} allows at most {max}", null)] : [];

    /// <summary>Holds the host's answers to settings checks (as a host that is slow or lost them) until released.</summary>
    private sealed class HeldAnswers
    {
        private readonly List<(IClusterTransport Inner, byte[] Payload)> _held = [];

        public int Count => _held.Count;

        public IClusterTransport Wrap(IClusterTransport inner) => new Holding(inner, this);

        public void Release()
        {
            foreach (var (inner, payload) in _held) _ = inner.MulticastAsync(payload);
            _held.Clear();
        }

        private sealed class Holding(IClusterTransport inner, HeldAnswers held) : IClusterTransport
        {
            public NodeId LocalNode => inner.LocalNode;

            public Task JoinAsync(string group, CancellationToken cancellationToken = default) => inner.JoinAsync(group, cancellationToken);

            public Task MulticastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
            {
                if (WireEnvelope.Decode(payload.ToArray()).Type != "wire.setting-check-answer.v1") return inner.MulticastAsync(payload, cancellationToken);
                held._held.Add((inner, payload.ToArray()));
                return Task.CompletedTask;
            }

            public Task LeaveAsync(CancellationToken cancellationToken = default) => inner.LeaveAsync(cancellationToken);

            public event Action<NodeId, byte[]>? Delivered
            {
                add => inner.Delivered += value;
                remove => inner.Delivered -= value;
            }

            public event Action<MembershipChanged>? MembershipChanged
            {
                add => inner.MembershipChanged += value;
                remove => inner.MembershipChanged -= value;
            }

            public event Action<QuorumChanged>? QuorumChanged
            {
                add => inner.QuorumChanged += value;
                remove => inner.QuorumChanged -= value;
            }
        }
    }
}
