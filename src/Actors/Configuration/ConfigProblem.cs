namespace Haven.Actors.Configuration;

/// <summary>One thing wrong with a configuration.</summary>
public sealed record ConfigProblem(string Path, string Message, string? Origin)
{
    public override string ToString()
    {
        var what = Path.Length == 0 ? Message : $"{Path}: {Message}";
        return Origin is null ? what : $"{Origin}: {what}";
    }
}
