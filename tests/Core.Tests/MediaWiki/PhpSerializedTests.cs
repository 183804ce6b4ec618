using System.Text;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>PHP's serialize() format as MediaWiki writes it with serialization_type PHP, and the value envelope of either type.</summary>
public sealed class PhpSerializedTests
{
    private static object? Read(string php) => PhpSerialized.Read(Encoding.UTF8.GetBytes(php));

    [Theory]
    // MediaWiki's own vectors (RESTBagOStuffTest): hmac_key 12345, the value 'somedata'.
    [InlineData("PHP", "12345", "s:8:\"somedata\";", "PHP.t2EKhUF4l65kZqWhoAnKW8ZPzekDYfrDxTkQcVmGsuM=.s:8:\"somedata\";")]
    [InlineData("JSON", "12345", "\"somedata\"", "JSON.Us1wli82zEJ6DNQnCG//w+MShOFrdx9wCdfTUhPPA2w=.\"somedata\"")]
    [InlineData("PHP", null, "s:8:\"somedata\";", "PHP..s:8:\"somedata\";")]
    public void MediaWikis_test_vectors_sign_and_split_as_RESTBagOStuff_does(string type, string? hmacKey, string payload, string written)
    {
        Assert.Equal(written, Encoding.UTF8.GetString(MediaWikiBlob.Sign(type, hmacKey, Encoding.UTF8.GetBytes(payload))));

        var blob = MediaWikiBlob.Split(Encoding.UTF8.GetBytes(written), out var why);
        Assert.Null(why);
        Assert.Equal(type, blob!.Type);
        Assert.True(blob.SignedWith(hmacKey));
        Assert.False(blob.SignedWith("54321"));
        Assert.Equal(payload, Encoding.UTF8.GetString(blob.Payload.Span));
        if (type == "PHP") Assert.Equal("somedata", ((PhpString)PhpSerialized.Read(blob.Payload.Span)!).Text);
    }

    [Fact]
    public void Scalars_read_as_PHP_wrote_them_and_string_lengths_count_bytes()
    {
        Assert.Null(Read("N;"));
        Assert.Equal(true, Read("b:1;"));
        Assert.Equal(false, Read("b:0;"));
        Assert.Equal(-42L, Read("i:-42;"));
        Assert.Equal(9223372036854775807L, Read("i:9223372036854775807;"));
        Assert.Equal(1.5, Read("d:1.5;"));
        Assert.Equal(1e-7, Read("d:1.0E-7;"));
        Assert.Equal(double.NegativeInfinity, Read("d:-INF;"));
        // "Zoë 😀" is 9 bytes in UTF-8; a quote inside a string is no delimiter, its length says where it ends.
        Assert.Equal("Zoë 😀", ((PhpString)Read("s:9:\"Zoë 😀\";")!).Text);
        Assert.Equal("a\";b", ((PhpString)Read("s:4:\"a\";b\";")!).Text);
        // Not UTF-8: the bytes are kept, the text is not guessed.
        Assert.Null(((PhpString)PhpSerialized.Read([.. "s:1:\""u8, 0xff, .. "\";"u8])!).Text);
    }

    [Fact]
    public void A_session_array_reads_with_its_nested_arrays_and_integer_and_string_keys()
    {
        var value = (PhpArray)Read("a:2:{s:4:\"data\";a:1:{s:29:\"CentralAuth::centralSessionId\";s:4:\"c0de\";}s:8:\"metadata\";a:3:{s:6:\"userId\";i:7;i:0;N;s:8:\"remember\";b:1;}}")!;

        Assert.Equal(2, value.Count);
        Assert.Equal("c0de", ((PhpString)((PhpArray)value["data"]!)["CentralAuth::centralSessionId"]!).Text);
        var metadata = (PhpArray)value["metadata"]!;
        Assert.Equal(7L, metadata["userId"]);
        Assert.Equal(true, metadata["remember"]);
        Assert.Equal(0L, metadata.Entries[1].Key);
    }

    [Theory]
    [InlineData("O:8:\"stdClass\":1:{s:1:\"a\";i:1;}", "an object")]
    [InlineData("C:11:\"ArrayObject\":0:{}", "an object")]
    [InlineData("a:2:{i:0;i:1;i:1;r:2;}", "a reference")]
    [InlineData("a:1:{i:0;R:1;}", "a reference")]
    [InlineData("E:7:\"Foo:Bar\";", "an enum")]
    [InlineData("s:20:\"short\";", "longer than the bytes left")]
    [InlineData("s:5:\"short\"", "ends early")]
    [InlineData("s:-1:\"\";", "length that is not")]
    [InlineData("i:99999999999999999999;", "out of range")]
    [InlineData("b:2;", "neither 0 nor 1")]
    [InlineData("a:1:{d:1.5;i:1;}", "array key")]
    [InlineData("i:1;i:2;", "trailing bytes")]
    [InlineData("x:1;", "unknown type")]
    [InlineData("", "ends early")]
    public void What_is_not_plain_data_or_not_well_formed_is_refused_with_a_reason(string php, string reason)
    {
        var refused = Assert.Throws<FormatException>(() => Read(php));
        Assert.Contains(reason, refused.Message);
    }

    [Fact]
    public void Depth_and_element_count_are_bounded()
    {
        var deep = string.Concat(Enumerable.Repeat("a:1:{i:0;", PhpSerialized.MaxDepth + 1)) + "N;" + new string('}', PhpSerialized.MaxDepth + 1);
        Assert.Contains("deeper than", Assert.Throws<FormatException>(() => Read(deep)).Message);
        var justDeepEnough = string.Concat(Enumerable.Repeat("a:1:{i:0;", PhpSerialized.MaxDepth)) + "N;" + new string('}', PhpSerialized.MaxDepth);
        Assert.IsType<PhpArray>(Read(justDeepEnough));

        // A count that claims more than the bound is refused before anything is allocated for it.
        Assert.Contains("more than", Assert.Throws<FormatException>(() => Read("a:2000000000:{}")).Message);
        var many = "a:6000:{" + string.Concat(Enumerable.Range(0, 6000).Select(i => $"i:{i};N;")) + "}";
        Assert.Contains("more than", Assert.Throws<FormatException>(() => Read(many)).Message);
    }
}
