using Haven.Actors.Akka.Workload;

namespace Haven.Actors.Tests.Akka;

/// <summary>
/// The test assembly's entry point (GenerateProgramFile is off): <c>dotnet Haven.Actors.Tests.dll akka-loop-trace SEED</c>
/// writes the trace of <see cref="LoopWorkload"/> for SEED, so a test can compare runs across processes (each with its
/// own string-hash seed). The test runner never calls it.
/// </summary>
public static class LoopTraceProgram
{
    public static int Main(string[] args)
    {
        if (args is not ["akka-loop-trace", var text] || !int.TryParse(text, out var seed))
        {
            Console.Error.WriteLine("usage: Haven.Actors.Tests akka-loop-trace SEED");
            return 2;
        }
        using var hosts = LoopDeterminismTests.Hosts();
        Console.Out.Write(LoopWorkload.Run(hosts, seed, LoopDeterminismTests.Duration));
        return 0;
    }
}
