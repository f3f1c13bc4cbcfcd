using System.Runtime.InteropServices;

namespace Haven.Host.Cli;

/// <summary>
/// Notices that whoever reads this process's standard output went away (`haven events --follow | head -1`). .NET's
/// console ignores EPIPE, so a follower would otherwise wait for ever on a quiet cluster: this polls fd 1, which
/// reports POLLERR once a pipe's reader closed it (POLLHUP for a hung-up terminal), once a second.
/// </summary>
internal static class StandardOutputWatch
{
    private const short PollErr = 0x8;
    private const short PollHup = 0x10;

    /// <summary>Completes when standard output is closed by its reader, or when <paramref name="ct"/> is cancelled.</summary>
    public static Task WhenClosedAsync(CancellationToken ct) => Task.Factory.StartNew(() =>
    {
        while (!ct.IsCancellationRequested)
        {
            var fd = new PollFd { Fd = 1 };
            if (Poll(ref fd, 1, 1000) > 0 && (fd.Revents & (PollErr | PollHup)) != 0) return;
        }
    }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll(ref PollFd fds, nuint count, int timeoutMs);
}
