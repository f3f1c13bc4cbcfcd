using Haven.Actors.Configuration;
using Haven.Actors.Fencing;
using Haven.Adapters.Configuration;

namespace Haven.Adapters.Fencing;

/// <summary>Loads the fencing secrets file, refusing one that group or others may read or write.</summary>
public static class FencingSecretsFile
{
    private const UnixFileMode NotOwner =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// The secrets in <paramref name="path"/>; "" means none. Throws <see cref="ConfigException"/>
    /// naming the file when it is missing, not owner-only, or malformed (never quoting a secret).
    /// </summary>
    public static FencingSecrets Load(string path)
    {
        if (path.Length == 0)
        {
            return FencingSecrets.None;
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ConfigException($"{FencingConfig.Root}.secrets-file", null, $"secrets file {path} does not exist");
        }

        if ((info.UnixFileMode & NotOwner) != 0)
        {
            throw new ConfigException($"{FencingConfig.Root}.secrets-file", null,
                $"secrets file {path} has mode {Convert.ToString((int)info.UnixFileMode, 8)}; it must be owner-only (chmod 600), refusing to use it");
        }

        if (FileTrust.ReadableProblem(path, ConfigFiles.MaxFileBytes, "secrets file") is { } problem)
        {
            throw new ConfigException($"{FencingConfig.Root}.secrets-file", null, problem);
        }

        try
        {
            return FencingConfig.ParseSecrets(File.ReadAllText(path), path);
        }
        catch (HoconException e)
        {
            // The parser's reason can quote the text around the error, which may be a secret: only where it is.
            throw new ConfigException($"{FencingConfig.Root}.secrets-file", null,
                $"secrets file {path} is not valid HOCON at line {e.Line}, column {e.Column} (the reason is not shown: it could quote a secret)");
        }
    }
}
