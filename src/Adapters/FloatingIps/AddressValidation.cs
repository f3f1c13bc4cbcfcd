using System.Globalization;
using Haven.Actors.Cluster;

namespace Haven.Adapters.FloatingIps;

/// <summary>
/// Checks a <see cref="PublicAddress"/> before any command sees it: a dotted-quad IPv4 unicast address
/// (no loopback, multicast, 0.0.0.0 or broadcast), a mask of 1..32 and a Linux interface name
/// (1..15 characters, not "." or "..", no '/', ':' or whitespace, not starting with '-').
/// </summary>
public static class AddressValidation
{
    /// <summary>IFNAMSIZ (16) less the terminating NUL.</summary>
    public const int MaxInterfaceNameLength = 15;

    public static void Validate(PublicAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        ValidateIp(address.Ip);
        if (address.Mask is < 1 or > 32)
        {
            throw new ArgumentException($"floating address {address.Ip}: mask {address.Mask} is out of range (1..32)", nameof(address));
        }

        ValidateInterface(address.Interface);
    }

    public static void ValidateIp(string ip)
    {
        if (!TryParseIPv4(ip, out var octets))
        {
            throw new ArgumentException($"floating address \"{ip}\" is not an IPv4 address in dotted-quad form (A.B.C.D)", nameof(ip));
        }

        var reason = octets switch
        {
            [0, 0, 0, 0] => "the unspecified address",
            [255, 255, 255, 255] => "the broadcast address",
            [127, ..] => "a loopback address",
            [>= 224 and <= 239, ..] => "a multicast address",
            [>= 240, ..] => "a reserved (class E) address",
            _ => null,
        };
        if (reason is not null)
        {
            throw new ArgumentException($"floating address {ip} is {reason}, not a unicast host address", nameof(ip));
        }
    }

    public static void ValidateInterface(string name)
    {
        var problem = name switch
        {
            null or "" => "is empty",
            { Length: > MaxInterfaceNameLength } => $"is longer than {MaxInterfaceNameLength} characters",
            "." or ".." => "is reserved",
            _ when name.StartsWith('-') => "starts with '-'",
            _ when name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c)) => "contains '/', ':', whitespace or a control character",
            _ => null,
        };
        if (problem is not null)
        {
            throw new ArgumentException($"interface name \"{name}\" {problem}", nameof(name));
        }
    }

    /// <summary>Exactly four decimal octets 0..255 without leading zeros ("10.0.0.1", not "10.0.1" or "010.0.0.1").</summary>
    private static bool TryParseIPv4(string? text, out int[] octets)
    {
        octets = [];
        if (text is null)
        {
            return false;
        }

        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        var values = new int[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit)
                || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] > 255)
            {
                return false;
            }
        }

        octets = values;
        return true;
    }
}
