using System.Security.Cryptography;
using System.Text;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// Encrypts MediaWiki's session bodies at rest with AES-GCM under a key derived from the server key, which never lives
/// in the store; each ciphertext is bound to its blob's key hash, so bodies cannot be swapped between keys.
/// </summary>
public sealed class BlobCipher(ServerKey serverKey)
{
    private const int NonceSize = 12, TagSize = 16;
    private readonly byte[] _key = Convert.FromHexString(serverKey.Mac("mediawiki-blob-encryption"));

    public byte[] Encrypt(ReadOnlySpan<byte> body, string keyHash)
    {
        var sealedBody = new byte[NonceSize + TagSize + body.Length];
        var nonce = sealedBody.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, body, sealedBody.AsSpan(NonceSize + TagSize), sealedBody.AsSpan(NonceSize, TagSize), Encoding.ASCII.GetBytes(keyHash));
        return sealedBody;
    }

    public byte[] Decrypt(byte[] sealedBody, string keyHash)
    {
        var body = new byte[sealedBody.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedBody.AsSpan(0, NonceSize), sealedBody.AsSpan(NonceSize + TagSize), sealedBody.AsSpan(NonceSize, TagSize), body, Encoding.ASCII.GetBytes(keyHash));
        return body;
    }
}
