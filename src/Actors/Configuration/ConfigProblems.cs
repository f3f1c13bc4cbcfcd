namespace Haven.Actors.Configuration;

/// <summary>Reports one problem: the path, what is wrong, and where the offending value was written.</summary>
internal delegate void ReportProblem(string path, string message, ConfigOrigin origin);

/// <summary>
/// The two ways a section reader's parse runs: <see cref="ReadOrThrow{T}"/> for a component that needs the
/// settings (the first problem is a <see cref="ConfigException"/>), <see cref="Collect{T}"/> for validation
/// (every problem, for `haven config check` and `haven config set`).
/// </summary>
internal static class ConfigProblems
{
    public static T ReadOrThrow<T>(Config config, Func<Config, ReportProblem, T> parse)
    {
        ConfigException? first = null;
        var result = parse(config, (path, message, origin) => first ??= new ConfigException(path, origin, message));
        return first is null ? result : throw first;
    }

    public static T Collect<T>(Config config, Func<Config, ReportProblem, T> parse, List<ConfigProblem> problems) =>
        parse(config, (path, message, origin) => problems.Add(new ConfigProblem(path, message, origin.ToString())));
}
