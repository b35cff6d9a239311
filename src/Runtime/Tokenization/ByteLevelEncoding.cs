namespace QuantRuntime.Tokenization;

/// <summary>
/// GPT-2's byte-to-character table: byte-level BPE vocabularies spell every byte as one printable
/// character (bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF as themselves, the rest as U+0100 upwards
/// in byte order), so that a space is 'Ġ' and a newline 'Ċ'.
/// </summary>
internal static class ByteLevelEncoding
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char ToChar(byte value) => ByteToChar[value];

    /// <summary>The byte a vocabulary character stands for, if it is one of the 256.</summary>
    public static bool TryGetByte(char c, out byte value) => CharToByte.TryGetValue(c, out value);

    /// <summary>Writes the byte-level spelling of UTF-8 <paramref name="utf8"/> into <paramref name="destination"/>.</summary>
    public static void Encode(ReadOnlySpan<byte> utf8, Span<char> destination)
    {
        for (int i = 0; i < utf8.Length; i++)
        {
            destination[i] = ByteToChar[utf8[i]];
        }
    }

    /// <summary>
    /// The bytes a byte-level token stands for. A character outside the table (not produced by
    /// GPT-2-style converters) contributes its own UTF-8 bytes; llama.cpp prints an
    /// <c>[UNK_BYTE_..]</c> marker there instead.
    /// </summary>
    public static byte[] Decode(string token)
    {
        var bytes = new List<byte>(token.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in token.EnumerateRunes())
        {
            if (rune.IsBmp && TryGetByte((char)rune.Value, out byte b))
            {
                bytes.Add(b);
            }
            else
            {
                bytes.AddRange(utf8[..rune.EncodeToUtf8(utf8)]);
            }
        }
        return [.. bytes];
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
