using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.FloatingIps;

/// <summary>
/// Watches the extra-address file (vzhaipd's HA_IP_FILE_CHECK_INTERVAL): every <c>interval</c> on the injected
/// <see cref="TimeProvider"/> it compares the file's modification time, size and mode with the last check and
/// re-reads it when any changed. When the parsed set differs from the current one, <c>onChanged</c> gets the full
/// new set (hand it to the ClusterActor as <see cref="PublicAddressesChanged"/> together with the configured
/// addresses); an unchanged set (a touch, a comment edit) calls nothing.
/// <list type="bullet">
/// <item>A missing file is an empty set, with one warning until it appears again.</item>
/// <item>A file group or others may write is refused with an error (once per change of the file); the current
/// set stays as it is.</item>
/// <item>Bad lines are skipped with a warning naming the file and line, logged when the file is read.</item>
/// </list>
/// </summary>
public sealed class ExtraAddressWatcher : IDisposable
{
    /// <summary>vzhaipd's suggested HA_IP_FILE_CHECK_INTERVAL.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    private readonly ExtraAddressSettings settings;
    private readonly Action<ImmutableArray<PublicAddress>> onChanged;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly TimeSpan interval;
    private readonly Lock gate = new();
    private ImmutableArray<PublicAddress> current = [];
    private Stamp? last;
    private bool started;
    private ITimer? timer;

    public ExtraAddressWatcher(
        ExtraAddressSettings settings,
        Action<ImmutableArray<PublicAddress>> onChanged,
        TimeProvider time,
        ILogger<ExtraAddressWatcher> logger,
        TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Enabled)
        {
            throw new ArgumentException("no extra-address file is configured", nameof(settings));
        }

        if (interval is { } i && i <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), i, "the check interval must be positive");
        }

        this.settings = settings;
        this.onChanged = onChanged ?? throw new ArgumentNullException(nameof(onChanged));
        this.time = time ?? throw new ArgumentNullException(nameof(time));
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
        this.interval = interval ?? DefaultInterval;
    }

    /// <summary>The addresses of the last good read.</summary>
    public ImmutableArray<PublicAddress> Current { get { lock (gate) return current; } }

    /// <summary>Reads the file now and starts the periodic checks; returns the initial set (no callback for it).</summary>
    public ImmutableArray<PublicAddress> Start()
    {
        lock (gate)
        {
            if (started)
            {
                throw new InvalidOperationException("the extra-address watcher is already started");
            }

            started = true;
            Check();
            timer = time.CreateTimer(static s => ((ExtraAddressWatcher)s!).CheckNow(), this, interval, interval);
            return current;
        }
    }

    /// <summary>One check (the timer's work): re-read when the file changed, call back when the set changed.</summary>
    public void CheckNow()
    {
        ImmutableArray<PublicAddress>? changed;
        lock (gate)
        {
            changed = Check();
        }

        if (changed is { } addresses)
        {
            try
            {
                onChanged(addresses);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Extra-address file {File}: the change handler failed: {Error}", settings.File, e.Message);
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            timer?.Dispose();
            timer = null;
        }
    }

    /// <summary>Under the lock. The new set when it differs from the current one, else null.</summary>
    private ImmutableArray<PublicAddress>? Check()
    {
        var stamp = Stamp.Of(settings.File);
        if (last == stamp)
        {
            return null;
        }

        last = stamp;
        ImmutableArray<PublicAddress> next;
        if (!stamp.Exists)
        {
            logger.LogWarning("Extra-address file {File} does not exist; no extra floating addresses", settings.File);
            next = [];
        }
        else
        {
            try
            {
                var list = ExtraAddressFile.Read(settings.File, settings.Interface, settings.Mask);
                foreach (var warning in list.Warnings)
                {
                    logger.LogWarning("Extra-address file: {Warning}", warning);
                }

                next = list.Addresses;
            }
            catch (Exception e) when (e is ExtraAddressFileException or IOException or UnauthorizedAccessException)
            {
                logger.LogError("Extra-address file {File} not used: {Error}; keeping the {Count} addresses read before", settings.File, e.Message, current.Length);
                return null;
            }
        }

        if (next.SequenceEqual(current))
        {
            return null;
        }

        logger.LogInformation("Extra-address file {File}: {Count} addresses now ({Addresses})", settings.File, next.Length,
            string.Join(", ", next.Select(a => $"{a.Ip}/{a.Mask}")));
        current = next;
        return next;
    }

    /// <summary>What is compared between checks.</summary>
    private sealed record Stamp(bool Exists, DateTime Modified, long Size, UnixFileMode Mode)
    {
        public static Stamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new Stamp(true, info.LastWriteTimeUtc, info.Length, info.UnixFileMode) : new Stamp(false, default, 0, default);
        }
    }
}
