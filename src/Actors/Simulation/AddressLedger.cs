using System.Collections.Immutable;
using Haven.Actors.Membership;

namespace Haven.Actors.Simulation;

/// <summary>A physical change of who holds an address, as the recording address managers and the fencer report it.</summary>
public abstract record AddressAction(NodeId Host);

/// <summary>The host put the address on its interface.</summary>
public sealed record AddressTaken(NodeId Host, string Ip) : AddressAction(Host);

/// <summary>The host removed the address from its interface.</summary>
public sealed record AddressReleased(NodeId Host, string Ip) : AddressAction(Host);

/// <summary>The host lost power. Fenced: the fencer did it (the cluster knows); else a crash nobody confirmed.</summary>
public sealed record HostPoweredOff(NodeId Host, bool Fenced) : AddressAction(Host);

/// <summary>The host booted again: it comes up holding no addresses.</summary>
public sealed record HostBooted(NodeId Host) : AddressAction(Host);

/// <summary>
/// Who physically holds which address, as a pure fold over <see cref="AddressAction"/>s. Taking an
/// address that another host still holds (it neither released it nor was fenced or rebooted) is an
/// <see cref="InvariantNames.AddressHandover"/> violation; both then hold it.
/// </summary>
public sealed record AddressLedger
{
    public static readonly AddressLedger Empty = new();

    /// <summary>Holders by address (a correct run has at most one per address).</summary>
    public ImmutableSortedDictionary<string, ImmutableSortedSet<NodeId>> Holders { get; private init; } =
        ImmutableSortedDictionary.Create<string, ImmutableSortedSet<NodeId>>(StringComparer.Ordinal);

    /// <summary>Hosts that were powered off without fencing and have not booted since (they still "hold" what they held).</summary>
    public ImmutableSortedSet<NodeId> CrashedUnfenced { get; private init; } = ImmutableSortedSet<NodeId>.Empty;

    public ImmutableSortedSet<NodeId> HoldersOf(string ip) =>
        Holders.TryGetValue(ip, out var set) ? set : ImmutableSortedSet<NodeId>.Empty;

    public (AddressLedger Ledger, InvariantViolation? Violation) Apply(AddressAction action, int step)
    {
        ArgumentNullException.ThrowIfNull(action);
        switch (action)
        {
            case AddressTaken t:
            {
                var holders = HoldersOf(t.Ip);
                var others = holders.Remove(t.Host);
                InvariantViolation? violation = null;
                if (!others.IsEmpty)
                {
                    var how = string.Join(", ", others.Select(o => CrashedUnfenced.Contains(o)
                        ? $"n{o} (crashed, never fenced)"
                        : $"n{o} (has not released it)"));
                    violation = new InvariantViolation(InvariantNames.AddressHandover, step, [t.Host, .. others],
                        $"n{t.Host} took {t.Ip} while it is still held by {how}");
                }
                return (this with { Holders = Holders.SetItem(t.Ip, holders.Add(t.Host)) }, violation);
            }
            case AddressReleased r:
            {
                var holders = HoldersOf(r.Ip).Remove(r.Host);
                return (this with { Holders = holders.IsEmpty ? Holders.Remove(r.Ip) : Holders.SetItem(r.Ip, holders) }, null);
            }
            case HostPoweredOff { Fenced: true } f:
                return (Drop(f.Host) with { CrashedUnfenced = CrashedUnfenced.Remove(f.Host) }, null);
            case HostPoweredOff f:
                return (this with { CrashedUnfenced = CrashedUnfenced.Add(f.Host) }, null);
            case HostBooted b:
                return (Drop(b.Host) with { CrashedUnfenced = CrashedUnfenced.Remove(b.Host) }, null);
            default:
                throw new ArgumentException($"unknown address action {action.GetType().Name}", nameof(action));
        }
    }

    /// <summary>Folds a whole history; returns the final ledger and every violation (step = index in the history).</summary>
    public static (AddressLedger Ledger, ImmutableArray<InvariantViolation> Violations) Replay(IEnumerable<AddressAction> history)
    {
        var ledger = Empty;
        var violations = ImmutableArray.CreateBuilder<InvariantViolation>();
        var step = 0;
        foreach (var action in history)
        {
            (ledger, var v) = ledger.Apply(action, step++);
            if (v is not null) violations.Add(v);
        }
        return (ledger, violations.ToImmutable());
    }

    private AddressLedger Drop(NodeId host)
    {
        var holders = Holders;
        foreach (var (ip, set) in Holders)
        {
            if (!set.Contains(host)) continue;
            var rest = set.Remove(host);
            holders = rest.IsEmpty ? holders.Remove(ip) : holders.SetItem(ip, rest);
        }
        return this with { Holders = holders };
    }
}
