using Haven.Actors.Alerts;

namespace Haven.Actors.Tests.Alerts;

public sealed class AlertPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly AlertSettings Settings = new()
    {
        ClusterName = "prod",
        DedupWindow = TimeSpan.FromMinutes(10),
        MaxPerPeriod = 3,
        Period = TimeSpan.FromHours(1),
    };

    private static Alert A(string key, AlertKind kind = AlertKind.Fence) => new(kind, key, $"text of {key}");

    /// <summary>Offers the alerts one minute apart from <paramref name="start"/>; returns the final book and every mail.</summary>
    private static (AlertBook Book, List<AlertMail> Mails, List<AlertOutcome> Outcomes) OfferAll(AlertPolicy policy, AlertBook book, DateTimeOffset start, params Alert[] alerts)
    {
        var mails = new List<AlertMail>();
        var outcomes = new List<AlertOutcome>();
        for (var i = 0; i < alerts.Length; i++)
        {
            var d = policy.Offer(book, alerts[i], start + TimeSpan.FromMinutes(i));
            book = d.Book;
            mails.AddRange(d.Mails);
            outcomes.Add(d.Outcome);
        }

        return (book, mails, outcomes);
    }

    [Fact]
    public void Offer_TriggeredAlert_IsMailedAtOnceWithClusterKindAndText()
    {
        var d = new AlertPolicy(Settings).Offer(AlertBook.Empty, A("fence:2"), T0);

        Assert.Equal(AlertOutcome.Sent, d.Outcome);
        var mail = Assert.Single(d.Mails);
        Assert.Equal("[prod] fence: text of fence:2", mail.Subject);
        Assert.Contains("2026-05-01 12:00:00Z fence: text of fence:2", mail.Body, StringComparison.Ordinal);
        Assert.False(mail.IsSummary);
    }

    [Fact]
    public void Offer_KindNotATrigger_IsDropped()
    {
        var d = new AlertPolicy(Settings).Offer(AlertBook.Empty, A("healthy:2", AlertKind.Healthy), T0);

        Assert.Equal(AlertOutcome.NotTriggered, d.Outcome);
        Assert.Empty(d.Mails);
        Assert.Same(AlertBook.Empty, d.Book);
    }

    [Fact]
    public void Offer_SameKeyWithinWindow_IsSuppressedAndCountedInTheNextMailForIt()
    {
        var policy = new AlertPolicy(Settings);
        var (book, mails, outcomes) = OfferAll(policy, AlertBook.Empty, T0, A("k"), A("k"), A("k"));

        Assert.Equal([AlertOutcome.Sent, AlertOutcome.Duplicate, AlertOutcome.Duplicate], outcomes);
        Assert.Single(mails);

        var later = policy.Offer(book, A("k"), T0 + TimeSpan.FromMinutes(10));
        Assert.Equal(AlertOutcome.Sent, later.Outcome);
        Assert.Equal(2, later.Mails.Single().Alerts.Single().SuppressedBefore);
        Assert.Contains("(+2 repeats)", later.Mails.Single().Body, StringComparison.Ordinal);
    }

    [Fact]
    public void Offer_DifferentKeys_AreNotDeduplicated()
    {
        var (_, mails, _) = OfferAll(new AlertPolicy(Settings), AlertBook.Empty, T0, A("a"), A("b"));

        Assert.Equal(2, mails.Count);
    }

    [Fact]
    public void Offer_ZeroDedupWindow_MailsEveryRepeat()
    {
        var (_, mails, _) = OfferAll(new AlertPolicy(Settings with { DedupWindow = TimeSpan.Zero }), AlertBook.Empty, T0, A("k"), A("k"));

        Assert.Equal(2, mails.Count);
    }

    [Fact]
    public void Offer_OverTheLimit_HoldsAlertsAndTickAtPeriodEndSendsOneSummary()
    {
        var policy = new AlertPolicy(Settings);
        var (book, mails, outcomes) = OfferAll(policy, AlertBook.Empty, T0, A("a"), A("b"), A("c"), A("d"), A("e", AlertKind.Failover), A("f"));

        Assert.Equal(3, mails.Count);
        Assert.Equal([AlertOutcome.Sent, AlertOutcome.Sent, AlertOutcome.Sent, AlertOutcome.Held, AlertOutcome.Held, AlertOutcome.Held], outcomes);
        Assert.Equal(T0 + TimeSpan.FromHours(1), policy.NextDue(book));
        Assert.Empty(policy.Tick(book, T0 + TimeSpan.FromMinutes(59)).Mails);

        var tick = policy.Tick(book, T0 + TimeSpan.FromHours(1));

        var summary = Assert.Single(tick.Mails);
        Assert.True(summary.IsSummary);
        Assert.Equal(["d", "e", "f"], summary.Alerts.Select(r => r.Alert.Key));
        Assert.Equal("[prod] summary: 3 alert(s) (2 fence, 1 failover)", summary.Subject);
        Assert.Contains("text of e", summary.Body, StringComparison.Ordinal);
        Assert.Empty(tick.Book.Held);
        Assert.Null(policy.NextDue(tick.Book));
    }

    [Fact]
    public void Offer_FlappingClusterForFiveHours_NeverMoreThanTheLimitPerPeriodAndLosesNothing()
    {
        var policy = new AlertPolicy(Settings with { DedupWindow = TimeSpan.Zero });
        var book = AlertBook.Empty;
        var sent = new List<(DateTimeOffset At, AlertMail Mail)>();
        var offered = 0;
        for (var minute = 0; minute < 5 * 60; minute++)
        {
            var now = T0 + TimeSpan.FromMinutes(minute);
            if (policy.NextDue(book) is { } due && due <= now)
            {
                var tick = policy.Tick(book, now);
                book = tick.Book;
                sent.AddRange(tick.Mails.Select(m => (now, m)));
            }

            var d = policy.Offer(book, A($"flap:{minute}", AlertKind.Failover), now);
            offered++;
            book = d.Book;
            sent.AddRange(d.Mails.Select(m => (now, m)));
        }

        foreach (var window in sent)
        {
            var inHour = sent.Count(s => s.At >= window.At && s.At < window.At + Settings.Period);
            Assert.True(inHour <= Settings.MaxPerPeriod, $"{inHour} mails in the hour from {window.At:u}");
        }

        var delivered = sent.Sum(s => s.Mail.Alerts.Length) + book.Held.Length;
        Assert.Equal(offered, delivered);
        Assert.Contains(sent, s => s.Mail.IsSummary && s.Mail.Alerts.Length > 50);
    }

    [Fact]
    public void Offer_AfterAPeriodWithoutOverflow_StartsAFreshPeriod()
    {
        var policy = new AlertPolicy(Settings);
        var (book, _, _) = OfferAll(policy, AlertBook.Empty, T0, A("a"), A("b"), A("c"));

        var (_, mails, outcomes) = OfferAll(policy, book, T0 + TimeSpan.FromHours(2), A("d"), A("e"), A("f"));

        Assert.Equal(3, mails.Count);
        Assert.All(outcomes, o => Assert.Equal(AlertOutcome.Sent, o));
    }

    [Fact]
    public void Offer_HeldAlertsAndLateOffer_SendsTheSummaryAndHoldsTheNewAlertForTheNext()
    {
        var policy = new AlertPolicy(Settings);
        var (book, _, _) = OfferAll(policy, AlertBook.Empty, T0, A("a"), A("b"), A("c"), A("d"));

        var d = policy.Offer(book, A("z"), T0 + TimeSpan.FromHours(3));

        var summary = Assert.Single(d.Mails);
        Assert.Equal(["d"], summary.Alerts.Select(r => r.Alert.Key));
        Assert.Equal(AlertOutcome.Held, d.Outcome);
        Assert.Equal(T0 + TimeSpan.FromHours(4), policy.NextDue(d.Book));
    }

    [Fact]
    public void Tick_PeriodAfterASummaryPassesQuietly_MailsGoOutAtOnceAgain()
    {
        var policy = new AlertPolicy(Settings);
        var (book, _, _) = OfferAll(policy, AlertBook.Empty, T0, A("a"), A("b"), A("c"), A("d"));
        book = policy.Tick(book, T0 + TimeSpan.FromHours(1)).Book;
        Assert.Equal(AlertOutcome.Held, policy.Offer(book, A("e"), T0 + TimeSpan.FromHours(1.5)).Outcome);

        var quiet = policy.Tick(book, T0 + TimeSpan.FromHours(2));
        var next = policy.Offer(quiet.Book, A("f"), T0 + TimeSpan.FromHours(2.1));

        Assert.Empty(quiet.Mails);
        Assert.Equal(AlertOutcome.Sent, next.Outcome);
    }

    [Fact]
    public void Offer_TextWithNewlines_SubjectIsOneLine()
    {
        var d = new AlertPolicy(Settings).Offer(AlertBook.Empty, new Alert(AlertKind.Fence, "k", "bad\r\nBcc: evil@example.com"), T0);

        Assert.DoesNotContain('\n', d.Mails[0].Subject);
        Assert.DoesNotContain('\r', d.Mails[0].Subject);
    }
}
