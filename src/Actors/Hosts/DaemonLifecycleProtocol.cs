namespace Haven.Actors.Hosts;

/// <summary>Record that this host's daemon started (reply: <see cref="DaemonStartRecorded"/>).</summary>
public sealed record RecordDaemonStart(int Pid, string Version);

/// <summary>Record that this host's daemon is stopping (reply: <see cref="DaemonStopRecorded"/>).</summary>
public sealed record RecordDaemonStop(string Reason);

public sealed record DaemonStartRecorded(long SequenceNr, bool PreviousShutdownClean);

public sealed record DaemonStopRecorded(long SequenceNr);

/// <summary>The daemon of <paramref name="Node"/> started; PreviousShutdownClean is false when the last run never recorded its stop.</summary>
public sealed record DaemonStarted(string Node, int Pid, string Version, bool PreviousShutdownClean);

/// <summary>The daemon of <paramref name="Node"/> stopped cleanly.</summary>
public sealed record DaemonStopped(string Node, string Reason);
