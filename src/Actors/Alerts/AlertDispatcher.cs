using Haven.Actors.Cluster;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Alerts;

/// <summary>
/// Carries out <see cref="AlertPolicy"/>: keeps the <see cref="AlertBook"/>, hands the mails to the
/// <see cref="IAlertSender"/> one at a time in order, and arms a timer on the injected <see cref="TimeProvider"/>
/// for the end of the period when alerts are held, so the summary goes out even if nothing else happens.
/// A failed mail is logged (Warning) and dropped: alerts never stop the cluster. Thread-safe; call
/// <see cref="Publish(ClusterState, IClusterEvent)"/> for every applied replicated event and
/// <see cref="Publish(Alert)"/> for local problems. The returned task completes when the mails it caused
/// were handed over (tests await it; the daemon need not).
/// </summary>
public sealed class AlertDispatcher : IDisposable
{
    private readonly AlertPolicy policy;
    private readonly IAlertSender sender;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private AlertBook book = AlertBook.Empty;
    private ITimer? timer;
    private Task sending = Task.CompletedTask;
    private bool disposed;

    public AlertDispatcher(AlertSettings settings, IAlertSender sender, TimeProvider time, ILogger<AlertDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        policy = new AlertPolicy(settings);
        this.sender = sender ?? throw new ArgumentNullException(nameof(sender));
        this.time = time ?? throw new ArgumentNullException(nameof(time));
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The policy's memory now (for status and tests).</summary>
    public AlertBook Book { get { lock (gate) return book; } }

    /// <summary>The alerts <see cref="AlertRules.FromEvent"/> derives from a replicated event.</summary>
    public Task Publish(ClusterState before, IClusterEvent clusterEvent)
    {
        var tasks = AlertRules.FromEvent(before, clusterEvent).Select(Publish).ToList();
        return tasks.Count == 0 ? Task.CompletedTask : Task.WhenAll(tasks);
    }

    public Task Publish(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        lock (gate)
        {
            if (disposed) return Task.CompletedTask;
            var decision = policy.Offer(book, alert, time.GetUtcNow());
            logger.LogDebug("Alert {Key} ({Kind}): {Outcome}", alert.Key, alert.Kind.Name(), decision.Outcome);
            return Apply(decision);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            timer?.Dispose();
            timer = null;
        }
    }

    private void OnTimer()
    {
        lock (gate)
        {
            if (disposed) return;
            _ = Apply(policy.Tick(book, time.GetUtcNow()));
        }
    }

    /// <summary>Under the lock: keep the book, queue the mails behind the ones still being sent, re-arm the timer.</summary>
    private Task Apply(AlertDecision decision)
    {
        book = decision.Book;
        foreach (var mail in decision.Mails)
        {
            sending = SendAfter(sending, mail);
        }

        timer?.Dispose();
        timer = null;
        if (policy.NextDue(book) is { } due)
        {
            var wait = due - time.GetUtcNow();
            timer = time.CreateTimer(static s => ((AlertDispatcher)s!).OnTimer(), this, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        return sending;
    }

    private async Task SendAfter(Task previous, AlertMail mail)
    {
        await Task.Yield(); // never run the sender under the dispatcher's lock
        await previous.ConfigureAwait(false);
        try
        {
            await sender.SendAsync(mail, CancellationToken.None).ConfigureAwait(false);
            logger.LogInformation("Alert mail sent: {Subject}", mail.Subject);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Alert mail not sent: {Subject}: {Error}", mail.Subject, e.Message);
        }
    }
}
