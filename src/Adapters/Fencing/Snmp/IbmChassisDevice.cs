using Haven.Actors.Fencing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Fencing.Snmp;

/// <summary>The two IBM chassis management modules and the sysDescr each answers with.</summary>
public enum IbmChassisModel
{
    /// <summary>IBM BladeCenter Advanced Management Module (<c>snmp-ibm-amm</c>).</summary>
    Amm,

    /// <summary>IBM Flex System Chassis Management Module (<c>snmp-ibm-cmm</c>).</summary>
    Cmm,
}

/// <summary>How an <see cref="IbmChassisDevice"/> switches blades and how long it waits for them.</summary>
public sealed record IbmChassisOptions
{
    public IbmChassisModel Model { get; init; } = IbmChassisModel.Amm;

    /// <summary>Skip soft-off and switch straight off (some blades, e.g. HX5, misread soft-off).</summary>
    public bool NoSoftOff { get; init; }

    /// <summary>How long to wait for a soft-off (an OS shutdown) before forcing off.</summary>
    public TimeSpan SoftOffTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for the state to read off after a forced off.</summary>
    public TimeSpan OffTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan OnTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest time between two power-state reads while waiting (see <see cref="FirstPollInterval"/>).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The wait before the second read after a switch; each next wait doubles, up to <see cref="PollInterval"/>
    /// (20, 40, 80 … ms, then every second). A blade that is off 150 ms after the SET is seen off within tens of
    /// milliseconds instead of a whole poll interval later; a slow one costs the device a few more reads.
    /// </summary>
    public TimeSpan FirstPollInterval { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>
/// Fences blades of an IBM BladeCenter (AMM) or Flex (CMM) chassis over SNMP, as seed 003's ibmbc /
/// ibmfx STONITH plugins: checks the sysDescr signature, finds the blade(s) whose name matches the
/// host by walking the name column, and switches them through the power-control column, soft-off
/// first unless <see cref="IbmChassisOptions.NoSoftOff"/>, then off; it reports success only once
/// every matching blade's power state reads off.
/// </summary>
public sealed class IbmChassisDevice : IFenceDevice, IDisposable
{
    public const string AmmSignature = "BladeCenter Advanced Management Module";
    public const string CmmSignature = "IBM Flex Chassis Management Module";

    public static readonly Oid SysDescr = Oid.Parse(".1.3.6.1.2.1.1.1.0");
    public static readonly Oid BladeNames = Oid.Parse(".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.6");
    public static readonly Oid BladePowerState = Oid.Parse(".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.4");
    public static readonly Oid BladePowerControl = Oid.Parse(".1.3.6.1.4.1.2.3.51.2.22.1.6.1.1.7");

    public const int StateOff = 0;
    public const int StateOn = 1;
    public const int StateSoftOff = 2;
    public const int StateStandby = 3;
    public const int StateHibernate = 4;

    private readonly SnmpClient client;
    private readonly IbmChassisOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;

    public IbmChassisDevice(string name, SnmpClient client, IbmChassisOptions? options = null, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        this.client = client ?? throw new ArgumentNullException(nameof(client));
        this.options = options ?? new IbmChassisOptions();
        this.logger = logger ?? NullLogger.Instance;
        this.time = time ?? TimeProvider.System;
    }

    public string Name { get; }

    public string Type => options.Model == IbmChassisModel.Amm ? "snmp-ibm-amm" : "snmp-ibm-cmm";

    public string Signature => options.Model == IbmChassisModel.Amm ? AmmSignature : CmmSignature;

    /// <summary>Reads a power-state value the way the plugins do: 0 off; 1, 3, 4 on; anything else unknown.</summary>
    public static PowerState Interpret(int state) => state switch
    {
        StateOff => PowerState.Off,
        StateOn or StateStandby or StateHibernate => PowerState.On,
        _ => PowerState.Unknown,
    };

    public async Task<FenceDeviceHealth> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CheckSignatureAsync(cancellationToken).ConfigureAwait(false);
            return new FenceDeviceHealth(true, $"{Signature} at {client.Endpoint}");
        }
        catch (Exception e) when (e is SnmpClientException or FenceDeviceException)
        {
            return new FenceDeviceHealth(false, e.Message);
        }
    }

    public async Task<IReadOnlyList<string>> ListHostsAsync(CancellationToken cancellationToken)
    {
        await CheckSignatureAsync(cancellationToken).ConfigureAwait(false);
        var names = await client.WalkAsync(BladeNames, cancellationToken).ConfigureAwait(false);
        return [.. names.Select(b => BladeLabel(b.Value)).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal)];
    }

    public async Task<PowerState> GetPowerStateAsync(string host, CancellationToken cancellationToken)
    {
        await CheckSignatureAsync(cancellationToken).ConfigureAwait(false);
        var states = new List<PowerState>();
        foreach (var slot in await FindBladesAsync(host, cancellationToken).ConfigureAwait(false))
        {
            states.Add(Interpret(await ReadStateAsync(slot, cancellationToken).ConfigureAwait(false)));
        }

        return states.All(s => s == PowerState.Off) ? PowerState.Off
            : states.Any(s => s == PowerState.On) ? PowerState.On
            : PowerState.Unknown;
    }

    public async Task<FenceDeviceOutcome> ExecuteAsync(string host, FenceAction action, CancellationToken cancellationToken)
    {
        await CheckSignatureAsync(cancellationToken).ConfigureAwait(false);
        var slots = await FindBladesAsync(host, cancellationToken).ConfigureAwait(false);
        var details = new List<string>();
        foreach (var slot in slots)
        {
            if (action is FenceAction.Off or FenceAction.Reboot)
            {
                var off = await SwitchOffAsync(host, slot, cancellationToken).ConfigureAwait(false);
                details.Add(off.Detail);
                if (!off.Success)
                {
                    return FenceDeviceOutcome.Failed(string.Join("; ", details));
                }
            }
        }

        if (action is FenceAction.On or FenceAction.Reboot)
        {
            foreach (var slot in slots)
            {
                var on = await SwitchOnAsync(host, slot, cancellationToken).ConfigureAwait(false);
                details.Add(on.Detail);
                if (!on.Success && action == FenceAction.On)
                {
                    return FenceDeviceOutcome.Failed(string.Join("; ", details));
                }
            }
        }

        // A reboot counts once the off was verified: the host went through off whatever "on" did next.
        return FenceDeviceOutcome.Succeeded(string.Join("; ", details));
    }

    public void Dispose() => client.Dispose();

    private async Task CheckSignatureAsync(CancellationToken cancellationToken)
    {
        var answer = await client.GetAsync(SysDescr, cancellationToken).ConfigureAwait(false);
        var text = answer.Value is SnmpOctetString s ? s.Text.Trim().Trim('"').Trim() : answer.Value.ToString();
        if (!string.Equals(text, Signature, StringComparison.OrdinalIgnoreCase))
        {
            throw new FenceDeviceException(Name, $"{client.Endpoint} answered sysDescr \"{text}\", expected \"{Signature}\" ({Type}): wrong device or wrong type");
        }
    }

    /// <summary>The blade slot numbers whose name matches <paramref name="host"/>.</summary>
    private async Task<IReadOnlyList<uint>> FindBladesAsync(string host, CancellationToken cancellationToken)
    {
        var names = await client.WalkAsync(BladeNames, cancellationToken).ConfigureAwait(false);
        var slots = names
            .Where(b => b.Oid.Length == BladeNames.Length + 1 && string.Equals(BladeLabel(b.Value), host, StringComparison.OrdinalIgnoreCase))
            .Select(b => b.Oid[BladeNames.Length])
            .ToList();
        if (slots.Count == 0)
        {
            var known = string.Join(", ", names.Select(b => BladeLabel(b.Value)).Where(n => n.Length > 0));
            throw new FenceDeviceException(Name, $"no blade is named \"{host}\" (blades: {(known.Length == 0 ? "none" : known)})");
        }

        return slots;
    }

    /// <summary>A blade's name as the plugins compare it: quotes and a parenthesised suffix removed.</summary>
    internal static string BladeLabel(SnmpValue value)
    {
        var text = value is SnmpOctetString s ? s.Text : "";
        text = text.Trim().Trim('"');
        var paren = text.IndexOf('(', StringComparison.Ordinal);
        return (paren >= 0 ? text[..paren] : text).Trim();
    }

    private async Task<FenceDeviceOutcome> SwitchOffAsync(string host, uint slot, CancellationToken cancellationToken)
    {
        var state = await ReadStateAsync(slot, cancellationToken).ConfigureAwait(false);
        if (state == StateOff)
        {
            return FenceDeviceOutcome.Succeeded($"blade {slot} ({host}) was already off");
        }

        if (!options.NoSoftOff)
        {
            logger.LogInformation("Soft-off of blade {Slot} ({Host}) via {Device}", slot, host, Name);
            try
            {
                await ControlAsync(slot, StateSoftOff, cancellationToken).ConfigureAwait(false);
                if (await WaitForAsync(slot, StateOff, options.SoftOffTimeout, cancellationToken).ConfigureAwait(false) == StateOff)
                {
                    return FenceDeviceOutcome.Succeeded($"blade {slot} ({host}) is off after soft-off");
                }
            }
            catch (SnmpClientException e)
            {
                logger.LogWarning("Soft-off of blade {Slot} ({Host}) via {Device} failed, forcing off: {Reason}", slot, host, Name, e.Message);
            }
        }

        logger.LogInformation("Power off of blade {Slot} ({Host}) via {Device}", slot, host, Name);
        try
        {
            await ControlAsync(slot, StateOff, cancellationToken).ConfigureAwait(false);
        }
        catch (SnmpClientException e)
        {
            return FenceDeviceOutcome.Failed($"blade {slot} ({host}): power off refused: {e.Message}");
        }

        var last = await WaitForAsync(slot, StateOff, options.OffTimeout, cancellationToken).ConfigureAwait(false);
        return last == StateOff
            ? FenceDeviceOutcome.Succeeded($"blade {slot} ({host}) is off")
            : FenceDeviceOutcome.Failed($"blade {slot} ({host}) still reads power state {Describe(last)} {options.OffTimeout.TotalSeconds:0.###} s after power off");
    }

    private async Task<FenceDeviceOutcome> SwitchOnAsync(string host, uint slot, CancellationToken cancellationToken)
    {
        try
        {
            if (await ReadStateAsync(slot, cancellationToken).ConfigureAwait(false) == StateOn)
            {
                return FenceDeviceOutcome.Succeeded($"blade {slot} ({host}) was already on");
            }

            await ControlAsync(slot, StateOn, cancellationToken).ConfigureAwait(false);
        }
        catch (SnmpClientException e)
        {
            return FenceDeviceOutcome.Failed($"blade {slot} ({host}): power on failed: {e.Message}");
        }

        var last = await WaitForAsync(slot, StateOn, options.OnTimeout, cancellationToken).ConfigureAwait(false);
        return last == StateOn
            ? FenceDeviceOutcome.Succeeded($"blade {slot} ({host}) is on")
            : FenceDeviceOutcome.Failed($"blade {slot} ({host}) still reads power state {Describe(last)} {options.OnTimeout.TotalSeconds:0.###} s after power on");
    }

    /// <summary>
    /// Polls the state until it equals <paramref name="wanted"/> or the time is up, at once and then after each of
    /// <see cref="PollDelays"/>; returns the last state read (null if none could be read).
    /// </summary>
    private async Task<int?> WaitForAsync(uint slot, int wanted, TimeSpan limit, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        using var delays = PollDelays(options).GetEnumerator();
        int? last = null;
        while (true)
        {
            try
            {
                last = await ReadStateAsync(slot, cancellationToken).ConfigureAwait(false);
                if (last == wanted)
                {
                    return last;
                }
            }
            catch (SnmpClientException e)
            {
                logger.LogDebug("Reading the power state of blade {Slot} via {Device} failed: {Reason}", slot, Name, e.Message);
            }

            delays.MoveNext();
            if (time.GetElapsedTime(started) + delays.Current > limit)
            {
                return last;
            }

            await Task.Delay(delays.Current, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The waits between power-state reads: <see cref="IbmChassisOptions.FirstPollInterval"/>, doubling, at most the poll interval; endless.</summary>
    internal static IEnumerable<TimeSpan> PollDelays(IbmChassisOptions options)
    {
        var delay = options.FirstPollInterval < options.PollInterval ? options.FirstPollInterval : options.PollInterval;
        while (true)
        {
            yield return delay;
            delay = delay * 2 < options.PollInterval ? delay * 2 : options.PollInterval;
        }
    }

    private async Task<int> ReadStateAsync(uint slot, CancellationToken cancellationToken)
    {
        var answer = await client.GetAsync(BladePowerState.Append(slot), cancellationToken).ConfigureAwait(false);
        return answer.Value is SnmpInteger i
            ? i.Value
            : throw new FenceDeviceException(Name, $"power state of blade {slot} is {answer.Value}, expected an INTEGER");
    }

    private Task ControlAsync(uint slot, int value, CancellationToken cancellationToken) =>
        client.SetAsync([new VarBind(BladePowerControl.Append(slot), new SnmpInteger(value))], cancellationToken);

    private static string Describe(int? state) => state switch
    {
        null => "(unreadable)",
        StateOff => "0 (off)",
        StateOn => "1 (on)",
        StateSoftOff => "2 (soft-off)",
        StateStandby => "3 (standby)",
        StateHibernate => "4 (hibernate)",
        _ => $"{state} (unknown)",
    };
}
