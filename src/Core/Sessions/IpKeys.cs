using System.Net;
using System.Net.Sockets;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// IP addresses as fixed-length hex strings ("4" + 8 digits, "6" + 32 digits) that sort like the addresses,
/// so "sessions from 198.51.100.0/22" is a range over an index rather than a scan.
/// </summary>
public static class IpKeys
{
    public static string? Key(string? ip) =>
        IPAddress.TryParse(ip, out var address) ? Key(address) : null;

    private static string Key(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var prefix = address.AddressFamily == AddressFamily.InterNetwork ? "4" : "6";
        return prefix + Convert.ToHexStringLower(address.GetAddressBytes());
    }

    /// <summary>The inclusive key range of a CIDR block such as <c>203.0.113.0/24</c> or <c>2001:db8::/32</c>.</summary>
    public static bool TryRange(string cidr, out string low, out string high)
    {
        low = high = "";
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var address) || !int.TryParse(cidr[(slash + 1)..], out var bits))
            return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        if (bits < 0 || bits > bytes.Length * 8) return false;
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
