using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Haven.Actors.Simulation;

/// <summary>
/// The determinism guard: one hash of everything a run produced — every trace line (step, virtual time, text),
/// every violation, whether it converged, its virtual time, messages delivered and faults injected. Two runs of the
/// same options must give the same hash; a change that is meant to be behaviour-neutral (a speed-up) must keep it.
/// </summary>
public static class SimulationTraceHash
{
    /// <summary>SHA-256 of the run's canonical text, as 64 lower-case hex digits.</summary>
    public static string TraceHash(this SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Line(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        foreach (var entry in result.Trace) Line(entry.ToString());
        foreach (var violation in result.Violations) Line("violation " + violation);
        Line(string.Create(CultureInfo.InvariantCulture,
            $"converged={result.Converged} time={result.VirtualTime.Ticks} delivered={result.MessagesDelivered} faults={result.FaultsInjected}"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
