using Haven.Actors.Membership;
using Haven.Host.Daemon;

namespace Haven.Host.Tests;

/// <summary>
/// A request the CLI gave up on is never applied later (issue 16 item 4): with the ClusterActor of a real daemon blocked, a
/// `haven config set` that waits in its mailbox past the 8 s deadline gets 503 and, once the actor runs again, is dropped
/// unapplied — the change sent after it is applied, and it never is.
/// </summary>
public sealed class CommandDeadlineDaemonTests
{
    [Fact]
    public async Task ConfigSet_ClusterActorBlockedPastTheDeadline_ClientGets503_AndTheValueIsNeverApplied()
    {
        using var dir = new TempDir();
        using var gate = new GatedTransport();
        var config = dir.SimulatedDaemonConfig();
        var socket = dir.File("haven.sock");
        await using var daemon = await RunningDaemon.StartAsync(config, new DaemonOverrides { Transport = options => gate.Wrap(new SingleHostTransport(options.Self)) });
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");

        // The next multicast blocks the ClusterActor's thread inside the transport: a real, stuck actor.
        gate.Close();
        var taken = CliRunner.RunAsync("config", "set", "haven.heuristics.attempts", "4", "--socket", socket);
        Assert.True(gate.Blocked.Wait(TimeSpan.FromSeconds(30)), "the ClusterActor never multicast");

        // Sent while the actor is stuck: it waits in the mailbox until its client has given up (10 s, past the 8 s deadline).
        var (code, _, err) = await CliRunner.RunAsync("config", "set", "haven.heuristics.timeout", "3s", "--socket", socket).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 1, $"exit {code}: {err}");
        Assert.Contains("the cluster did not answer within 10 s (busy or blocked); a request it had not taken up within 8 s is dropped and never applied later", err);

        gate.Open();
        await taken.WaitAsync(TimeSpan.FromSeconds(60)); // taken up before it was stuck: applied (its client may have been told 503 too)
        var (after, _, afterErr) = await CliRunner.RunAsync("config", "set", "haven.heuristics.interval", "3s", "--socket", socket).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(after == 0, afterErr); // handled after the late one: the mailbox is in order

        var (_, json, _) = await CliRunner.RunAsync("config", "get", "haven.heuristics", "--json", "--socket", socket);
        var source = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("settings").EnumerateArray()
            .ToDictionary(s => s.GetProperty("key").GetString()!, s => s.GetProperty("source").GetString());
        Assert.Equal("cluster", source["haven.heuristics.attempts"]);
        Assert.Equal("cluster", source["haven.heuristics.interval"]);
        Assert.Equal("default", source["haven.heuristics.timeout"]);
        var changed = new List<string>();
        await foreach (var e in daemon.State.Journal.ReadAllAsync(0))
            if (e.Manifest == "cluster.setting-changed.v1") changed.Add(System.Text.Encoding.UTF8.GetString(e.Payload));
        Assert.Contains(changed, c => c.Contains("haven.heuristics.attempts", StringComparison.Ordinal));
        Assert.DoesNotContain(changed, c => c.Contains("haven.heuristics.timeout", StringComparison.Ordinal));
        Assert.Equal(0, await daemon.StopAsync()); // flushes the log
        Assert.Contains("Dropped a SetSetting that waited", File.ReadAllText(dir.File("haven.log")));
    }

    /// <summary>A transport whose multicasts can be held: while closed, a multicast blocks its caller (the ClusterActor) until opened.</summary>
    private sealed class GatedTransport : IDisposable
    {
        private readonly ManualResetEventSlim _open = new(true);

        /// <summary>Set once a multicast is held at the closed gate.</summary>
        public ManualResetEventSlim Blocked { get; } = new(false);

        public IClusterTransport Wrap(IClusterTransport inner) => new Held(inner, this);

        public void Close() => _open.Reset();

        public void Open() => _open.Set();

        public void Dispose()
        {
            _open.Set(); // never leave the daemon's actor stuck
            _open.Dispose();
            Blocked.Dispose();
        }

        private void Pass()
        {
            if (_open.IsSet) return;
            Blocked.Set();
            _open.Wait(TimeSpan.FromSeconds(120)); // bounded: a failed test does not hang the daemon's stop for ever
        }

        private sealed class Held(IClusterTransport inner, GatedTransport gate) : IClusterTransport
        {
            public NodeId LocalNode => inner.LocalNode;

            public event Action<NodeId, byte[]>? Delivered { add => inner.Delivered += value; remove => inner.Delivered -= value; }
            public event Action<MembershipChanged>? MembershipChanged { add => inner.MembershipChanged += value; remove => inner.MembershipChanged -= value; }
            public event Action<QuorumChanged>? QuorumChanged { add => inner.QuorumChanged += value; remove => inner.QuorumChanged -= value; }

            public Task JoinAsync(string group, CancellationToken cancellationToken = default) => inner.JoinAsync(group, cancellationToken);

            public Task MulticastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
            {
                gate.Pass();
                return inner.MulticastAsync(payload, cancellationToken);
            }

            public Task LeaveAsync(CancellationToken cancellationToken = default) => inner.LeaveAsync(cancellationToken);
        }
    }
}
