using System.Net;
using System.Net.Sockets;
using Haven.Actors.Fencing;
using Haven.Adapters.Fencing.Snmp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Fencing;

/// <summary>Builds the configured fence devices (and the topology fencer over them) from the typed settings and secrets.</summary>
public static class FenceDeviceFactory
{
    /// <summary>One device per <see cref="FencingSettings.Devices"/> entry; throws naming the device when one cannot be built.</summary>
    public static IReadOnlyDictionary<string, IFenceDevice> Create(FencingSettings settings, FencingSecrets secrets, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(secrets);
        loggers ??= NullLoggerFactory.Instance;
        time ??= TimeProvider.System;
        var devices = new Dictionary<string, IFenceDevice>(StringComparer.Ordinal);
        foreach (var (name, device) in settings.Devices)
        {
            var secret = secrets.For(name);
            devices[name] = device switch
            {
                SnmpFenceDeviceSettings snmp => Snmp(snmp, secret, loggers, time),
                FenceAgentDeviceSettings agent => new FenceAgentDevice(name, new FenceAgentOptions
                {
                    Agent = agent.Agent,
                    IpAddress = agent.IpAddress,
                    Login = agent.Login,
                    Password = secret.Password,
                    Plugs = agent.Plugs,
                    SendPlug = agent.SendPlug,
                    Options = agent.Options,
                    Timeout = agent.Timeout,
                }, loggers.CreateLogger<FenceAgentDevice>(), time),
                ScriptFenceDeviceSettings script => new ScriptFenceDevice(name, new ScriptFenceOptions
                {
                    Directory = script.Directory,
                    ScriptName = script.Script,
                    Password = secret.Password,
                    Timeout = script.Timeout,
                }, loggers.CreateLogger<ScriptFenceDevice>(), time),
                PoolFenceDeviceSettings => new PoolFenceDevice(name),
                WatchdogFenceDeviceSettings watchdog => new WatchdogFenceDevice(watchdog, time, loggers.CreateLogger<WatchdogFenceDevice>()),
                _ => throw new FenceDeviceException(name, $"type {device.Type} cannot be built"),
            };
        }

        return devices;
    }

    /// <summary>A <see cref="TopologyFencer"/> over freshly built devices.</summary>
    public static TopologyFencer CreateFencer(
        FencingSettings settings,
        FencingSecrets secrets,
        ILoggerFactory? loggers = null,
        TimeProvider? time = null,
        Action<FenceHistoryRecord>? history = null,
        Func<FencingContext>? context = null)
    {
        loggers ??= NullLoggerFactory.Instance;
        return new TopologyFencer(settings.Topology, Create(settings, secrets, loggers, time), settings.ToFencerOptions(), time,
            loggers.CreateLogger<TopologyFencer>(), history, context);
    }

    private static IbmChassisDevice Snmp(SnmpFenceDeviceSettings settings, FenceDeviceSecrets secret, ILoggerFactory loggers, TimeProvider time)
    {
        // Secrets first: a device without its secrets is refused before anything is resolved or opened.
        var credentials = settings.V3 is { } v3 ? Credentials(settings.Name, v3, secret) : null;
        var community = credentials is null ? Community(settings.Name, secret) : "";
        var endpoint = new IPEndPoint(Resolve(settings.Name, settings.Host), settings.Port);
        var options = new SnmpClientOptions { Timeout = settings.Timeout, Retries = settings.Retries };
        var client = credentials is not null
            ? new SnmpClient(endpoint, credentials, options, loggers.CreateLogger<SnmpClient>(), time)
            : new SnmpClient(endpoint, settings.Version1 ? SnmpVersion.V1 : SnmpVersion.V2c, community, options, loggers.CreateLogger<SnmpClient>(), time);
        return new IbmChassisDevice(settings.Name, client, new IbmChassisOptions
        {
            Model = settings.FlexCmm ? IbmChassisModel.Cmm : IbmChassisModel.Amm,
            NoSoftOff = settings.NoSoftOff,
            SoftOffTimeout = settings.SoftOffTimeout,
            OffTimeout = settings.OffTimeout,
            OnTimeout = settings.OnTimeout,
            PollInterval = settings.PollInterval,
        }, loggers.CreateLogger<IbmChassisDevice>(), time);
    }

    private static string Community(string device, FenceDeviceSecrets secret) =>
        secret.Community is { Length: > 0 } community
            ? community
            : throw new FenceDeviceException(device, $"no community for {device} in the secrets file ({device}.community = \"...\")");

    /// <summary>The SNMPv3 user of a device; refuses it, naming the missing key, when a password is absent or too short.</summary>
    private static SnmpUsmCredentials Credentials(string device, SnmpV3Settings v3, FenceDeviceSecrets secret)
    {
        var auth = Password(device, v3, "auth-password", secret.AuthPassword);
        var priv = v3.Priv == SnmpPrivProtocol.None ? null : Password(device, v3, "priv-password", secret.PrivPassword);
        return new SnmpUsmCredentials(v3.User, auth, v3.Auth == SnmpAuthProtocol.Md5 ? UsmAuthProtocol.Md5 : UsmAuthProtocol.Sha1,
            priv, v3.Priv == SnmpPrivProtocol.None ? UsmPrivProtocol.None : UsmPrivProtocol.Aes128);
    }

    private static string Password(string device, SnmpV3Settings v3, string key, string? password) => password switch
    {
        null or "" => throw new FenceDeviceException(device, $"SNMPv3 user {v3.User} needs {device}.{key} in the secrets file ({device}.{key} = \"...\")"),
        { Length: < SnmpUsmCredentials.MinPasswordLength } => throw new FenceDeviceException(device,
            $"{device}.{key} in the secrets file is shorter than {SnmpUsmCredentials.MinPasswordLength} characters, which SNMPv3 refuses"),
        _ => password,
    };

    private static IPAddress Resolve(string device, string host)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return literal;
        }

        try
        {
            return Dns.GetHostAddresses(host).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            throw new FenceDeviceException(device, $"cannot resolve address {host}: {e.Message}", e);
        }
    }
}
