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
        if (secret.Community is not { Length: > 0 } community)
        {
            throw new FenceDeviceException(settings.Name, $"no community for {settings.Name} in the secrets file ({settings.Name}.community = \"...\")");
        }

        var address = Resolve(settings.Name, settings.Host);
        var client = new SnmpClient(new IPEndPoint(address, settings.Port), settings.Version1 ? SnmpVersion.V1 : SnmpVersion.V2c, community,
            new SnmpClientOptions { Timeout = settings.Timeout, Retries = settings.Retries }, loggers.CreateLogger<SnmpClient>(), time);
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
