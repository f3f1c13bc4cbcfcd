namespace Haven.Adapters.Tests.Fencing.Snmp;

/// <summary>
/// The pass_persist script snmpd runs: tests/e2e/amm-emulator.py (embedded), which serves sysDescr and the IBM
/// blade table from a JSON state file the tests write, changes the power state on SET of the control column and
/// records every SET; its <c>mode</c> makes it refuse, hang or lie (the script's docstring has the details).
/// tests/e2e/cluster.sh --fence-snmp runs the same script as a namespace cluster's fence device.
/// </summary>
internal static class AmmEmulatorScript
{
    public static string Python { get; } = Read();

    private static string Read()
    {
        using var stream = typeof(AmmEmulatorScript).Assembly.GetManifestResourceStream("Haven.amm-emulator.py")
            ?? throw new InvalidOperationException("the embedded resource Haven.amm-emulator.py (tests/e2e/amm-emulator.py) is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
