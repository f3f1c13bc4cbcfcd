namespace Haven.Bench;

/// <summary>One benchmark: measures, then prints its figures (with the goal beside them) to the writer.</summary>
public interface IBench
{
    string Name { get; }
    string Description { get; }
    Task RunAsync(TextWriter output);
}
