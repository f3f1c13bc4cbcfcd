namespace Haven.Adapters.Corosync;

/// <summary>A non-blocking pipe the dispatch thread polls beside corosync's descriptors, so that a send, a leave or Dispose wakes it at once.</summary>
internal sealed unsafe class WakePipe : IDisposable
{
    private readonly int _read;
    private readonly int _write;
    private int _disposed;

    public WakePipe()
    {
        var fds = stackalloc int[2];
        if (CorosyncNative.Pipe2(fds, CorosyncNative.ONonBlock | CorosyncNative.OCloExec) != 0)
            throw new IOException($"pipe2 failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        _read = fds[0];
        _write = fds[1];
    }

    public int ReadFd => _read;

    public void Signal()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        byte b = 1;
        _ = CorosyncNative.Write(_write, &b, 1); // a full pipe already wakes the reader
    }

    public void Drain()
    {
        var buffer = stackalloc byte[256];
        while (CorosyncNative.Read(_read, buffer, 256) > 0)
        {
        }
    }

    /// <summary>Waits until signalled or the timeout (milliseconds, -1 = forever) passes.</summary>
    public void Wait(int timeoutMs)
    {
        var fd = new CorosyncNative.PollFd { Fd = _read, Events = CorosyncNative.PollIn };
        _ = CorosyncNative.Poll(&fd, 1, timeoutMs);
        Drain();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _ = CorosyncNative.Close(_read);
        _ = CorosyncNative.Close(_write);
    }
}
