using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Haven.Actors.Alerts;

/// <summary>What the policy did with an offered alert.</summary>
public enum AlertOutcome
{
    /// <summary>Mailed at once.</summary>
    Sent,

    /// <summary>Held for the summary at the end of the period (the rate limit was reached).</summary>
    Held,

    /// <summary>The same key was accepted within the de-duplication window: counted, not mailed.</summary>
    Duplicate,

    /// <summary>The alert's kind is not among the configured triggers.</summary>
    NotTriggered,

    /// <summary>A tick that had nothing to send.</summary>
    Nothing,
}

/// <summary>
/// The policy's memory, immutable: keys accepted within the window (with the suppressed repeats since),
/// the current rate-limit period and what it holds for the summary.
/// </summary>
public sealed record AlertBook
{
    public static readonly AlertBook Empty = new();

    /// <summary>When each key was last accepted (sent or held).</summary>
    public ImmutableDictionary<string, DateTimeOffset> Accepted { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;

    /// <summary>Repeats of each key suppressed since it was last accepted.</summary>
    public ImmutableDictionary<string, int> Suppressed { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Start of the current period; null when no period is open.</summary>
    public DateTimeOffset? PeriodStart { get; init; }

    public int SentInPeriod { get; init; }

    /// <summary>Alerts over the limit, for the summary.</summary>
    public ImmutableArray<AlertRecord> Held { get; init; } = [];
}

/// <summary>The next book and the mails to send now (zero or one).</summary>
public sealed record AlertDecision(AlertBook Book, ImmutableArray<AlertMail> Mails, AlertOutcome Outcome);

/// <summary>
/// Which alerts become mails, and when. Pure: the caller passes the time and keeps the returned
/// <see cref="AlertBook"/>.
/// <list type="bullet">
/// <item>An alert whose kind is not a trigger is dropped.</item>
/// <item>An alert whose key was accepted less than <c>dedup-window</c> ago is a duplicate: counted, and the count
/// is reported with that key's next mail.</item>
/// <item>A period opens with the first mail; up to <c>max-per-period</c> mails go out in it at once. Alerts beyond
/// the limit are held; when the period ends (<see cref="Tick"/> at <see cref="NextDue"/>, or the next offer after
/// it) they go out as ONE summary mail. That summary opens a period that is already full, so alerts keep being
/// collected into one summary per period until a period passes with nothing held; then mails go out at once again.</item>
/// </list>
/// So a flapping cluster sends <c>max-per-period</c> mails, then one summary per period — never a flood — and
/// no alert is lost; no span of one period ever carries more than <c>max-per-period</c> mails.
/// </summary>
public sealed class AlertPolicy(AlertSettings settings)
{
    private readonly AlertSettings settings = settings ?? throw new ArgumentNullException(nameof(settings));

    public AlertDecision Offer(AlertBook book, Alert alert, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(alert);
        if (!settings.Triggers.Contains(alert.Kind))
        {
            return new AlertDecision(book, [], AlertOutcome.NotTriggered);
        }

        book = Forget(book, now);
        if (book.Accepted.ContainsKey(alert.Key))
        {
            var repeats = book.Suppressed.GetValueOrDefault(alert.Key) + 1;
            return new AlertDecision(book with { Suppressed = book.Suppressed.SetItem(alert.Key, repeats) }, [], AlertOutcome.Duplicate);
        }

        var record = new AlertRecord(alert, now, book.Suppressed.GetValueOrDefault(alert.Key));
        book = book with { Accepted = book.Accepted.SetItem(alert.Key, now), Suppressed = book.Suppressed.Remove(alert.Key) };

        var rolled = Roll(book, now);
        book = rolled.Book;
        var mails = rolled.Mails.ToBuilder();
        if (book.PeriodStart is null)
        {
            book = book with { PeriodStart = now, SentInPeriod = 0 };
        }

        if (book.SentInPeriod < settings.MaxPerPeriod)
        {
            mails.Add(Single(record));
            return new AlertDecision(book with { SentInPeriod = book.SentInPeriod + 1 }, mails.ToImmutable(), AlertOutcome.Sent);
        }

        return new AlertDecision(book with { Held = book.Held.Add(record) }, mails.ToImmutable(), AlertOutcome.Held);
    }

    /// <summary>At or after <see cref="NextDue"/>: the summary of the held alerts, or nothing.</summary>
    public AlertDecision Tick(AlertBook book, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(book);
        var rolled = Roll(Forget(book, now), now);
        return rolled with { Outcome = rolled.Mails.IsEmpty ? AlertOutcome.Nothing : AlertOutcome.Sent };
    }

    /// <summary>When the held alerts are due as a summary; null when nothing is held.</summary>
    public DateTimeOffset? NextDue(AlertBook book) =>
        book.Held.IsEmpty || book.PeriodStart is not { } start ? null : start + settings.Period;

    /// <summary>Closes an ended period: its held alerts become one summary mail that opens the next period.</summary>
    private AlertDecision Roll(AlertBook book, DateTimeOffset now)
    {
        if (book.PeriodStart is not { } start || now < start + settings.Period)
        {
            return new AlertDecision(book, [], AlertOutcome.Nothing);
        }

        if (book.Held.IsEmpty)
        {
            return new AlertDecision(book with { PeriodStart = null, SentInPeriod = 0 }, [], AlertOutcome.Nothing);
        }

        // The next period starts full: while the cluster keeps flapping, one summary per period is all that goes out.
        var summary = Summary(book.Held, start, now);
        return new AlertDecision(book with { PeriodStart = now, SentInPeriod = settings.MaxPerPeriod, Held = [] }, [summary], AlertOutcome.Sent);
    }

    /// <summary>Drops keys accepted a window or more ago, so they may be mailed again.</summary>
    private AlertBook Forget(AlertBook book, DateTimeOffset now)
    {
        var expired = book.Accepted.Where(a => now - a.Value >= settings.DedupWindow).Select(a => a.Key).ToList();
        return expired.Count == 0 ? book : book with { Accepted = book.Accepted.RemoveRange(expired) };
    }

    private AlertMail Single(AlertRecord record)
    {
        var subject = $"[{settings.ClusterName}] {record.Alert.Kind.Name()}: {OneLine(record.Alert.Text)}";
        return new AlertMail(subject, Line(record) + "\n", [record], IsSummary: false);
    }

    private AlertMail Summary(ImmutableArray<AlertRecord> held, DateTimeOffset from, DateTimeOffset to)
    {
        var counts = held.GroupBy(r => r.Alert.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.Name()}");
        var subject = $"[{settings.ClusterName}] summary: {held.Length} alert(s) ({string.Join(", ", counts)})";
        var body = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"More than {settings.MaxPerPeriod} alerts between {from:u} and {to:u}; these were held back:\n\n");
        foreach (var record in held)
        {
            body.Append(Line(record)).Append('\n');
        }

        return new AlertMail(subject, body.ToString(), held, IsSummary: true);
    }

    private static string Line(AlertRecord record) =>
        string.Create(CultureInfo.InvariantCulture, $"{record.At:u} {record.Alert.Kind.Name()}: {record.Alert.Text}")
        + (record.SuppressedBefore > 0 ? $" (+{record.SuppressedBefore} repeats)" : "");

    private static string OneLine(string text)
    {
        var line = string.Concat(text.Select(ch => char.IsControl(ch) ? ' ' : ch)).Trim();
        return line.Length <= 120 ? line : line[..117] + "...";
    }
}
