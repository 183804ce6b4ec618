using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// IP addresses as fixed-length hex strings ("4" + 8 digits, "6" + 32 digits) that sort like the addresses,
/// so "sessions from 198.51.100.0/22" is a range over an index rather than a scan.
/// </summary>
/// <remarks>
/// Parsing is strict: IPv4 is four decimal parts (no "1.2.3", no hex or octal parts), IPv6 has no zone.
/// An IPv4-mapped IPv6 address (<c>::ffff:203.0.113.7</c>) is the IPv4 address, and a mapped block maps
/// with its prefix: <c>::ffff:203.0.113.0/120</c> is <c>203.0.113.0/24</c>. A mapped block shorter than /96
/// reaches beyond the mapped addresses and is refused.
/// </remarks>
public static class IpKeys
{
    /// <summary>Longest address text accepted (a full IPv6 address with an embedded IPv4 part).</summary>
    public const int MaxAddressLength = 45;

    public static string? Key(string? ip) =>
        TryParse(ip, out var address) ? Key(address) : null;

    /// <summary>An IP address written in the usual way: dotted-quad IPv4 or IPv6 without a zone.</summary>
    public static bool TryParse(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrEmpty(text) || text.Length > MaxAddressLength) return false;
        if (text.Contains(':'))
        {
            // Letters, digits, colons and dots only: no zone ("%eth0"), no brackets, no spaces.
            foreach (var c in text)
                if (!(char.IsAsciiHexDigit(c) || c is ':' or '.')) return false;
            if (!IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return false;
            address = v6;
            return true;
        }
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit)) return false;
            var value = int.Parse(part, CultureInfo.InvariantCulture);
            if (value > 255) return false;
            bytes[i] = (byte)value;
        }
        address = new IPAddress(bytes);
        return true;
    }

    private static string Key(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var prefix = address.AddressFamily == AddressFamily.InterNetwork ? "4" : "6";
        return prefix + Convert.ToHexStringLower(address.GetAddressBytes());
    }

    /// <summary>The inclusive key range of a CIDR block such as <c>203.0.113.0/24</c> or <c>2001:db8::/32</c>.</summary>
    public static bool TryRange(string cidr, out string low, out string high) => TryRange(cidr, out low, out high, out _);

    /// <summary>As <see cref="TryRange(string, out string, out string)"/>, with why a block was refused.</summary>
    public static bool TryRange(string cidr, out string low, out string high, out string? why)
    {
        low = high = "";
        why = null;
        var slash = cidr.IndexOf('/');
        var bitsText = slash < 0 ? "" : cidr[(slash + 1)..];
        if (slash < 0 || !TryParse(cidr[..slash], out var address)
            || bitsText.Length is 0 or > 3 || !bitsText.All(char.IsAsciiDigit) || (bitsText.Length > 1 && bitsText[0] == '0'))
        {
            why = "write a CIDR block as an address and a prefix length, such as 203.0.113.0/24 or 2001:db8::/32";
            return false;
        }
        var bits = int.Parse(bitsText, CultureInfo.InvariantCulture);
        if (address.IsIPv4MappedToIPv6)
        {
            if (bits < 96)
            {
                why = "an IPv4-mapped block (::ffff:a.b.c.d) needs a prefix of at least /96, since it stands for the IPv4 block of the prefix minus 96";
                return false;
            }
            address = address.MapToIPv4();
            bits -= 96;
        }
        var bytes = address.GetAddressBytes();
        if (bits > bytes.Length * 8)
        {
            why = $"the prefix length is at most {bytes.Length * 8} for {(bytes.Length == 4 ? "IPv4" : "IPv6")}";
            return false;
        }
        var lowBytes = (byte[])bytes.Clone();
        var highBytes = (byte[])bytes.Clone();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(bits - i * 8, 0, 8);
            var mask = (byte)(0xFF << (8 - keep));
            lowBytes[i] = (byte)(bytes[i] & mask);
            highBytes[i] = (byte)(bytes[i] | ~mask);
        }
        low = Key(new IPAddress(lowBytes));
        high = Key(new IPAddress(highBytes));
        return true;
    }
}
