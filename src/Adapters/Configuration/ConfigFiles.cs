using Haven.Actors.Configuration;

namespace Haven.Adapters.Configuration;

/// <summary>Resolves <c>include "x.conf"</c> relative to the directory of the including file.</summary>
public sealed class FileIncludeResolver : IHoconIncludeResolver
{
    public string? Resolve(string includeName, string fromSourceName, out string resolvedSourceName)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(fromSourceName)) ?? Directory.GetCurrentDirectory();
        resolvedSourceName = Path.GetFullPath(Path.Combine(directory, includeName));
        return File.Exists(resolvedSourceName) ? File.ReadAllText(resolvedSourceName) : null;
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

        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read configuration file {fullPath}: {ex.Message}");
        }

        return Parse(text, fullPath, environment);
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
