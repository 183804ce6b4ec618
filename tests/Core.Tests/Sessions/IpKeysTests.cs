namespace WikiSessions.Core.Tests.Sessions;

public class IpKeysTests
{
    [Theory]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("127.1")]
    [InlineData("010.0.0.1")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.4 ")]
    [InlineData("fe80::1%eth0")]
    [InlineData("[2001:db8::1]")]
    [InlineData("")]
    public void Addresses_that_are_not_written_the_usual_way_are_refused(string text) =>
        Assert.False(IpKeys.TryParse(text, out _));

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("0.0.0.0")]
    [InlineData("2001:db8::5")]
    [InlineData("::ffff:203.0.113.7")]
    public void Usual_addresses_parse(string text) => Assert.True(IpKeys.TryParse(text, out _));

    [Fact]
    public void An_IPv4_mapped_address_has_the_key_of_its_IPv4_address() =>
        Assert.Equal(IpKeys.Key("203.0.113.7"), IpKeys.Key("::ffff:203.0.113.7"));

    [Theory]
    [InlineData("1.2.3/24")]
    [InlineData("203.0.113.0/33")]
    [InlineData("203.0.113.0/")]
    [InlineData("203.0.113.0/-1")]
    [InlineData("203.0.113.0/024")]
    [InlineData("2001:db8::/129")]
    [InlineData("::ffff:203.0.113.0/24")]
    [InlineData("::ffff:203.0.113.0/95")]
    [InlineData("203.0.113.0")]
    public void Malformed_or_ambiguous_blocks_are_refused_with_a_reason(string cidr)
    {
        Assert.False(IpKeys.TryRange(cidr, out _, out _, out var why));
        Assert.False(string.IsNullOrWhiteSpace(why));
    }

    [Theory]
    [InlineData("::ffff:203.0.113.0/120", "203.0.113.0/24")]
    [InlineData("::ffff:198.51.100.0/118", "198.51.100.0/22")]
    [InlineData("::ffff:0.0.0.0/96", "0.0.0.0/0")]
    public void A_mapped_block_is_the_IPv4_block_of_its_prefix_minus_96(string mapped, string ipv4)
    {
        Assert.True(IpKeys.TryRange(mapped, out var mappedLow, out var mappedHigh));
        Assert.True(IpKeys.TryRange(ipv4, out var low, out var high));
        Assert.Equal((low, high), (mappedLow, mappedHigh));
    }
}
