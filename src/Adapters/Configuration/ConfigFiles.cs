using Haven.Actors.Configuration;

namespace Haven.Adapters.Configuration;

/// <summary>
/// Resolves <c>include "x.conf"</c> relative to the directory of the including file. An included file is read as the
/// configuration file itself is (<see cref="ConfigFiles.ReadTrusted"/>): a regular file of bounded size that passes
/// <see cref="FileTrust"/>, so <c>include "/dev/zero"</c> or a file another user may change is an error naming it.
/// </summary>
public sealed class FileIncludeResolver : IHoconIncludeResolver
{
    public string? Resolve(string includeName, string fromSourceName, out string resolvedSourceName)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(fromSourceName)) ?? Directory.GetCurrentDirectory();
        resolvedSourceName = Path.GetFullPath(Path.Combine(directory, includeName));
        return File.Exists(resolvedSourceName) || Directory.Exists(resolvedSourceName)
            ? ConfigFiles.ReadTrusted(resolvedSourceName, $"included file (from {fromSourceName})")
            : null;
    }
}

/// <summary>
/// Loads Haven configuration files: parses HOCON, follows includes relative to the including file,
/// resolves <c>${?ENV}</c> from the process environment, and puts <see cref="HavenConfig.Reference"/>
/// under the result. Errors are <see cref="HoconException"/> (FILE:LINE:COL) or
/// <see cref="ConfigException"/> (a missing or unreadable file).
/// </summary>
public static class ConfigFiles
{
    public static Config Load(string path) => Load(path, Environment.GetEnvironmentVariable);

    public static Config Load(string path, Func<string, string?> environment)
    {
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new ConfigException($"configuration file {fullPath} is a directory, not a file");
        }

        if (!File.Exists(fullPath))
        {
            throw new ConfigException($"configuration file {fullPath} does not exist");
        }

        return Parse(ReadTrusted(fullPath, "config file"), fullPath, environment);
    }

    /// <summary>The most a configuration file or an include may hold.</summary>
    public const long MaxFileBytes = 1024 * 1024;

    /// <summary>
    /// The text of a configuration file or include: a regular file of at most <see cref="MaxFileBytes"/> that
    /// <see cref="FileTrust"/> trusts (root's or the daemon's, not writable by group or others, nor any directory
    /// above it). Throws <see cref="ConfigException"/> naming the file otherwise.
    /// </summary>
    public static string ReadTrusted(string fullPath, string what)
    {
        if (FileTrust.ReadableProblem(fullPath, MaxFileBytes, what) is { } problem)
            throw new ConfigException(problem);
        try
        {
            return File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read {what} {fullPath}: {ex.Message}");
        }
    }

    /// <summary>Parses text; includes resolve relative to the directory of <paramref name="sourceName"/> (or the current directory).</summary>
    public static Config Parse(string text, string sourceName) => Parse(text, sourceName, Environment.GetEnvironmentVariable);

    public static Config Parse(string text, string sourceName, Func<string, string?> environment) =>
        HoconParser.Parse(text, sourceName, new HoconParseOptions
        {
            Includes = new FileIncludeResolver(),
            Environment = environment,
            Fallback = HavenConfig.Reference,
        });
}
