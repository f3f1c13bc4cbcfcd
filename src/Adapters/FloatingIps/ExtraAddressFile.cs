using System.Collections.Immutable;
using System.Globalization;
using Haven.Actors.Cluster;
using Haven.Actors.Configuration;
using Haven.Adapters.Configuration;

namespace Haven.Adapters.FloatingIps;

/// <summary><c>haven.ips.extra-addresses-*</c>: the extra-address file, the interface and the default prefix length of its addresses.</summary>
public sealed record ExtraAddressSettings(string File, string Interface, int Mask)
{
    public const string Root = "haven.ips";

    /// <summary>Whether a file is configured.</summary>
    public bool Enabled => File.Length > 0;

    /// <summary>
    /// Reads the three keys with the reference configuration under <paramref name="config"/>. With a file set, the
    /// path must be absolute and the interface a valid Linux interface name; the mask is 1..32. Throws
    /// <see cref="ConfigException"/> naming the key.
    /// </summary>
    public static ExtraAddressSettings Read(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.WithFallback(HavenConfig.Reference);
        var settings = new ExtraAddressSettings(
            c.GetString($"{Root}.extra-addresses-file"),
            c.GetString($"{Root}.extra-addresses-interface"),
            c.GetInt($"{Root}.extra-addresses-mask"));
        if (settings.Mask is < 1 or > 32)
        {
            throw Bad(c, "extra-addresses-mask", $"{settings.Mask} is out of range (1..32)");
        }

        if (!settings.Enabled)
        {
            return settings;
        }

        if (!Path.IsPathRooted(settings.File))
        {
            throw Bad(c, "extra-addresses-file", $"\"{settings.File}\" is not an absolute path");
        }

        try
        {
            AddressValidation.ValidateInterface(settings.Interface);
        }
        catch (ArgumentException e)
        {
            throw Bad(c, "extra-addresses-interface", $"{e.Message.Split(" (Parameter", 2)[0]} (needed with extra-addresses-file)");
        }

        return settings;
    }

    private static ConfigException Bad(Config c, string key, string reason) => new($"{Root}.{key}", c.Origin($"{Root}.{key}"), reason);
}

/// <summary>The extra-address file is unsafe to use (group or others may write it).</summary>
public sealed class ExtraAddressFileException(string message) : Exception(message);

/// <summary>The addresses a file lists and the warnings about the lines that were skipped.</summary>
public sealed record ExtraAddressList(ImmutableArray<PublicAddress> Addresses, ImmutableArray<string> Warnings);

/// <summary>
/// vzhaipd's HA_IP_FILE: one IPv4 address per line, optionally with <c>/NN</c> (1..32; the configured mask
/// otherwise). '#' starts a comment; blank lines are ignored; surrounding whitespace is trimmed. A line that is
/// not a unicast IPv4 address (see <see cref="AddressValidation"/>), or repeats an address, is skipped with a
/// warning <c>FILE:LINE: …</c>. Addresses keep the file's order.
/// </summary>
public static class ExtraAddressFile
{
    /// <summary>The most the file may hold (a few thousand addresses).</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>
    /// Reads and parses the file; throws <see cref="ExtraAddressFileException"/> when it may not be trusted
    /// (<see cref="FileTrust"/>: whoever could change it could move floating addresses) or is not a bounded regular file.
    /// </summary>
    public static ExtraAddressList Read(string path, string iface, int defaultMask)
    {
        if (FileTrust.ReadableProblem(path, MaxBytes, "extra-address file") is { } problem)
        {
            throw new ExtraAddressFileException(problem);
        }

        return Parse(File.ReadAllText(path), path, iface, defaultMask);
    }

    public static ExtraAddressList Parse(string text, string source, string iface, int defaultMask)
    {
        ArgumentNullException.ThrowIfNull(text);
        var addresses = ImmutableArray.CreateBuilder<PublicAddress>();
        var warnings = ImmutableArray.CreateBuilder<string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var number = i + 1;
            var line = lines[i];
            var hash = line.IndexOf('#');
            line = (hash >= 0 ? line[..hash] : line).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var problem = TryParseLine(line, defaultMask, out var ip, out var mask);
            if (problem is null && seen.TryGetValue(ip, out var first))
            {
                problem = $"{ip} is already listed on line {first}";
            }

            if (problem is not null)
            {
                warnings.Add($"{source}:{number}: {problem}; line skipped");
                continue;
            }

            seen[ip] = number;
            addresses.Add(new PublicAddress(ip, mask, iface));
        }

        return new ExtraAddressList(addresses.ToImmutable(), warnings.ToImmutable());
    }

    private static string? TryParseLine(string line, int defaultMask, out string ip, out int mask)
    {
        var slash = line.IndexOf('/');
        ip = slash < 0 ? line : line[..slash];
        mask = defaultMask;
        if (slash >= 0)
        {
            var text = line[(slash + 1)..];
            if (text.Length is 0 or > 2 || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out mask) || mask is < 1 or > 32)
            {
                return $"\"{line}\": the prefix length must be 1..32";
            }
        }

        try
        {
            AddressValidation.ValidateIp(ip);
            return null;
        }
        catch (ArgumentException e)
        {
            return $"\"{line}\": {e.Message.Split(" (Parameter", 2)[0]}";
        }
    }
}
