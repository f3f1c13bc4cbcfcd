namespace Haven.Actors.Cluster;

/// <summary>
/// A setting was set cluster-wide (<c>haven config set</c>): <see cref="Value"/> is the HOCON text of
/// one value, valid for <see cref="Key"/> as reference.conf declares it. A host's own file still wins for that host.
/// </summary>
public sealed record SettingChanged(string Key, string Value) : IClusterEvent;

/// <summary>A cluster-wide setting was removed (<c>haven config reset</c>): hosts fall back to their file or the default.</summary>
public sealed record SettingReset(string Key) : IClusterEvent;

/// <summary>
/// Operator: set a setting cluster-wide. Accepted only on a member of the primary partition; the reply
/// (<see cref="OperatorCommandResult"/>) comes once the change is applied here, or says why nothing changed.
/// </summary>
public sealed record SetSetting(string Key, string Value);

/// <summary>Operator: remove a cluster-wide setting. Reply: <see cref="OperatorCommandResult"/>, as for <see cref="SetSetting"/>.</summary>
public sealed record ResetSetting(string Key);

/// <summary>
/// Ask a ClusterActor for this host's effective settings (reference.conf &lt; cluster-wide &lt; this host's
/// file) with each value's source. Reply: <see cref="Haven.Actors.Configuration.EffectiveSettings"/>.
/// </summary>
public sealed record GetEffectiveSettings
{
    public static readonly GetEffectiveSettings Instance = new();
}
