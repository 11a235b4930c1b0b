namespace ThirdPartyClients.Clients;

/// <summary>The echo clients' answer check: a reply that is not the request means a mixed-up connection.</summary>
internal static class EchoCheck
{
    /// <summary>Throws unless <paramref name="reply"/> holds the bytes of <paramref name="request"/>.</summary>
    public static void Same(ReadOnlySpan<byte> request, ReadOnlySpan<byte> reply)
    {
        if (!request.SequenceEqual(reply))
        {
            throw new InvalidDataException($"echo mismatch: sent {Convert.ToHexString(request)}, got {Convert.ToHexString(reply)}");
        }
    }
}
