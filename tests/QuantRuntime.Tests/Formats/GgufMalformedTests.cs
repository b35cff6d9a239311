using System.Buffers.Binary;
using QuantRuntime.Formats;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tests.Support;
using static QuantRuntime.Tests.Formats.GgufAssert;

namespace QuantRuntime.Tests.Formats;

/// <summary>Malformed, truncated and hostile GGUF input fails with a specific one-line ModelFormatException.</summary>
public sealed class GgufMalformedTests
{
    private const uint F32 = (uint)TensorType.F32;

    /// <summary>One metadata entry and one tensor after it; fields at known offsets.</summary>
    private static byte[] SmallValidImage() =>
        RawGguf.Header(1, 1)
            .Key("general.a_rather_long_key_for_truncation", GgufValueType.UInt64).U64(0x0102030405060708)
            .Tensor("weights", F32, 0, 4, 2)
            .Pad()
            .Zeros(32)
            .ToArray();

    [Fact]
    public void SmallValidImage_Parses()
    {
        using var file = GgufFile.Parse(SmallValidImage());
        Assert.Equal(0x0102030405060708L, file.Metadata.GetInteger("general.a_rather_long_key_for_truncation"));
        Assert.Equal(32, file.GetData(file.Tensors[0]).Length);
    }

    [Fact]
    public void EmptyInput_IsTooShort()
    {
        ParseFails([], "file is too short to be GGUF");
    }

    [Fact]
    public void EmptyFile_IsTooShort()
    {
        using var folder = new TempDirectory();
        File.WriteAllBytes(folder.File("empty.gguf"), []);
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Open(folder.File("empty.gguf")));
        Assert.Contains("file is too short to be GGUF", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_ThrowsFileNotFound()
    {
        using var folder = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => GgufFile.Open(folder.File("absent.gguf")));
    }

    // Layout of SmallValidImage: magic 0-4, version 4-8, tensor count 8-16, metadata count 16-24,
    // key length 24-32, key 32-72, value type 72-76, value 76-84, tensor name length 84-92,
    // name 92-99, n_dims 99-103, dims 103-119, type 119-123, offset 123-131, padding to 160, data 160-192.
    [Theory]
    [InlineData(2, "file is too short to be GGUF")]
    [InlineData(6, "file is truncated in version at byte 4")]
    [InlineData(12, "file is truncated in tensor count at byte 8")]
    [InlineData(20, "file is truncated in metadata count at byte 16")]
    [InlineData(40, "header claims 1 tensor infos, more than the file can hold")]
    [InlineData(60, "string length 40 of key of metadata entry 0 extends past the end of the file")]
    [InlineData(74, "file is truncated in value type of metadata 'general.a_rather_long_key_for_truncation' at byte 72")]
    [InlineData(80, "file is truncated in general.a_rather_long_key_for_truncation at byte 76")]
    [InlineData(95, "string length 7 of name of tensor 0 extends past the end of the file")]
    [InlineData(101, "file is truncated in dimension count of tensor 'weights' at byte 99")]
    [InlineData(115, "file is truncated in dimension 1 of tensor 'weights' at byte 111")]
    [InlineData(121, "file is truncated in type of tensor 'weights' at byte 119")]
    [InlineData(127, "file is truncated in offset of tensor 'weights' at byte 123")]
    [InlineData(140, "file is truncated before the tensor data section")]
    [InlineData(170, "tensor 'weights' data (32 bytes at data offset 0) extends past the end of the file")]
    [InlineData(191, "tensor 'weights' data (32 bytes at data offset 0) extends past the end of the file")]
    public void Truncated_NamesWhereItStopped(int length, string expected)
    {
        ParseFails(SmallValidImage()[..length], expected);
    }

    [Fact]
    public void EveryTruncation_ThrowsModelFormatException()
    {
        byte[] image = SmallValidImage();
        for (int length = 0; length < image.Length; length++)
        {
            Assert.Throws<ModelFormatException>(() => GgufFile.Parse(image[..length]).Dispose());
        }
    }

    [Fact]
    public void RandomCorruption_ThrowsOnlyModelFormatException()
    {
        // A few thousand mutants of a small but varied file: each parses or fails cleanly.
        var writer = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add(GgufFile.AlignmentKey, 16u)
            .Add("arr", GgufArray.Of([GgufArray.Of(new[] { "a", "bc" }), GgufArray.Of(new[] { true, false })]))
            .Add("f", 1.5f)
            .AddTensor("a", TensorType.Q8_0, [32, 2], new byte[68])
            .AddTensor("b", TensorType.F16, [3], new byte[6]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] original = stream.ToArray();
        var random = new Random(12345);
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            byte[] mutant = (byte[])original.Clone();
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(mutant.Length);
                mutant[at] = random.Next(4) switch
                {
                    0 => (byte)random.Next(256),
                    1 => 0xFF,
                    2 => 0,
                    _ => (byte)(mutant[at] ^ (1 << random.Next(8))),
                };
            }
            int length = random.Next(8) == 0 ? random.Next(mutant.Length) : mutant.Length;
            try
            {
                using var file = GgufFile.Parse(mutant[..length]);
                foreach (var tensor in file.Tensors)
                {
                    Assert.Equal(tensor.ByteCount, file.GetData(tensor).Length);
                }
            }
            catch (ModelFormatException)
            {
            }
        }
    }

    [Fact]
    public void WrongMagic()
    {
        byte[] image = SmallValidImage();
        image[3] = (byte)'L';
        ParseFails(image, "not a GGUF file (wrong magic 0x4C554747)");
        ParseFails("GGML"u8.ToArray(), "wrong magic");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0xFFFFFFFFu)]
    public void UnsupportedVersion(uint version)
    {
        ParseFails(RawGguf.Header(0, 0, version).ToArray(), $"unsupported GGUF version {version} (expected 2 or 3)");
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    public void BigEndianHeader(uint version)
    {
        var image = new RawGguf().U32(GgufFile.Magic).U32(BinaryPrimitives.ReverseEndianness(version))
            .U64(0).U64(BinaryPrimitives.ReverseEndianness(1UL))
            .Key("k", (GgufValueType)BinaryPrimitives.ReverseEndianness((uint)GgufValueType.UInt32)).U32(7)
            .ToArray();
        ParseFails(image, "big-endian GGUF files are not supported");
    }

    [Fact]
    public void UnknownMetadataValueType()
    {
        ParseFails(RawGguf.Header(0, 1).Key("k", (GgufValueType)13).U64(0).ToArray(), "metadata 'k' has unknown value type 13");
        ParseFails(RawGguf.Header(0, 1).Key("k", (GgufValueType)0x80000000).U64(0).ToArray(), "metadata 'k' has unknown value type 2147483648");
        // Inside an array, the element type is checked too.
        ParseFails(RawGguf.Header(0, 1).Key("k", GgufValueType.Array).U32(99).U64(1).U64(0).ToArray(), "has unknown value type 99");
    }

    [Fact]
    public void BoolByteTwo()
    {
        ParseFails(RawGguf.Header(0, 1).Key("flag", GgufValueType.Bool).U8(2).Zeros(8).ToArray(), "metadata 'flag' has bool byte 2 (expected 0 or 1)");
        ParseFails(RawGguf.Header(0, 1).Key("flags", GgufValueType.Array).U32((uint)GgufValueType.Bool).U64(3).Bytes(1, 0, 2).ToArray(), "metadata 'flags' has bool byte 2");
    }

    [Fact]
    public void InvalidUtf8()
    {
        byte[] badUtf8 = [0x61, 0xC3, 0x28]; // 'a', then a lead byte followed by a non-continuation byte
        byte[] surrogate = [0xED, 0xA0, 0x80]; // U+D800 encoded as if it were a scalar value
        byte[] overlong = [0xC0, 0xAF]; // '/' in two bytes
        foreach (byte[] bad in new[] { badUtf8, surrogate, overlong, [0xFF] })
        {
            ParseFails(RawGguf.Header(0, 1).RawStr(bad).U32((uint)GgufValueType.UInt32).U32(0).ToArray(), "key of metadata entry 0 is not valid UTF-8");
        }
        ParseFails(RawGguf.Header(0, 1).Key("k", GgufValueType.String).RawStr(badUtf8).ToArray(), "k is not valid UTF-8");
        ParseFails(RawGguf.Header(1, 0).RawStr(badUtf8).U32(1).U64(1).U32(F32).U64(0).Pad().Zeros(4).ToArray(), "name of tensor 0 is not valid UTF-8");
    }

    [Fact]
    public void DuplicateKey()
    {
        ParseFails(RawGguf.Header(0, 2).KeyU32("k", 1).KeyU32("k", 2).ToArray(), "duplicate metadata key 'k'");
    }

    [Fact]
    public void DuplicateTensorName()
    {
        var image = RawGguf.Header(2, 0).Tensor("t", F32, 0, 8).Tensor("t", F32, 32, 8).Pad().Zeros(64).ToArray();
        ParseFails(image, "duplicate tensor name 't'");
    }

    [Fact]
    public void UnknownTensorType()
    {
        ParseFails(RawGguf.Header(1, 0).Tensor("t", 99, 0, 32).Pad().Zeros(128).ToArray(), "tensor 't' has unknown type id 99");
        ParseFails(RawGguf.Header(1, 0).Tensor("t", 0xFFFFFFFF, 0, 32).Pad().Zeros(128).ToArray(), "tensor 't' has unknown type id 4294967295");
    }

    [Theory]
    [InlineData(6u, "q5_0")]
    [InlineData(7u, "q5_1")]
    [InlineData(10u, "q2_k")]
    [InlineData(28u, "f64")]
    [InlineData(39u, "mxfp4")]
    public void KnownButUnsupportedTensorType_IsNamed(uint id, string name)
    {
        var image = RawGguf.Header(1, 0).Tensor("t", id, 0, 256).Pad().Zeros(2048).ToArray();
        ParseFails(image, $"tensor 't' has type {name} (id {id}), which QuantRuntime does not support");
    }

    [Fact]
    public void DimensionZero()
    {
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 0, 4, 0).Pad().Zeros(16).ToArray(), "tensor 't' has invalid dimension 1 = 0");
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 0, 1UL << 63).Pad().Zeros(16).ToArray(), "tensor 't' has invalid dimension 0 = 9223372036854775808");
    }

    [Fact]
    public void DimensionCountOutOfRange()
    {
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 0, 1, 1, 1, 1, 1).Pad().Zeros(4).ToArray(), "tensor 't' has 5 dimensions (expected 1 to 4)");
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 0).Zeros(40).ToArray(), "tensor 't' has 0 dimensions (expected 1 to 4)");
    }

    [Fact]
    public void ElementCountOverflow()
    {
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 0, 1UL << 32, 1UL << 32).Pad().Zeros(16).ToArray(), "tensor 't' element count overflows 64 bits");
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 0, 1UL << 31, 1UL << 31).Pad().Zeros(16).ToArray(), "tensor 't' byte size overflows 64 bits");
    }

    [Fact]
    public void RowsNotWholeBlocks()
    {
        ParseFails(RawGguf.Header(1, 0).Tensor("t", (uint)TensorType.Q8_0, 0, 48, 2).Pad().Zeros(128).ToArray(),
            "tensor 't' rows of 48 are not a whole number of q8_0 blocks of 32");
        ParseFails(RawGguf.Header(1, 0).Tensor("t", (uint)TensorType.Q4_K, 0, 128, 4).Pad().Zeros(512).ToArray(),
            "tensor 't' rows of 128 are not a whole number of q4_k blocks of 256");
    }

    [Fact]
    public void MisalignedOffset()
    {
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 16, 4).Pad().Zeros(64).ToArray(), "tensor 't' offset 16 is not a multiple of the alignment 32");
        var custom = RawGguf.Header(1, 1).KeyU32(GgufFile.AlignmentKey, 64).Tensor("t", F32, 32, 4).Pad(64).Zeros(128).ToArray();
        ParseFails(custom, "tensor 't' offset 32 is not a multiple of the alignment 64");
    }

    [Fact]
    public void TensorPastTheEnd()
    {
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 0, 16).Pad().Zeros(63).ToArray(), "tensor 't' data (64 bytes at data offset 0) extends past the end of the file");
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 64, 4).Pad().Zeros(64).ToArray(), "tensor 't' data (16 bytes at data offset 64) extends past the end of the file");
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, 1UL << 63, 4).Pad().Zeros(64).ToArray(), "extends past the end of the file");
        ParseFails(RawGguf.Header(1, 0).Tensor("t", F32, ulong.MaxValue - 31, 4).Pad().Zeros(64).ToArray(), "extends past the end of the file");
    }

    [Fact]
    public void OverlappingTensors()
    {
        var image = RawGguf.Header(3, 0).Tensor("a", F32, 0, 16).Tensor("b", F32, 96, 8).Tensor("c", F32, 32, 8).Pad().Zeros(128).ToArray();
        ParseFails(image, "tensors 'a' and 'c' overlap");
        var same = RawGguf.Header(2, 0).Tensor("a", F32, 0, 1).Tensor("b", F32, 0, 1).Pad().Zeros(32).ToArray();
        ParseFails(same, "overlap");
    }

    [Fact]
    public void AdjacentTensors_DoNotOverlap()
    {
        var image = RawGguf.Header(2, 0).Tensor("a", F32, 32, 8).Tensor("b", F32, 0, 8).Pad().Zeros(64).ToArray();
        using var file = GgufFile.Parse(image);
        Assert.Equal(2, file.Tensors.Count);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(48u)]
    [InlineData(1u << 21)]
    [InlineData(1u << 31)]
    public void BadAlignmentValue(uint alignment)
    {
        ParseFails(RawGguf.Header(0, 1).KeyU32(GgufFile.AlignmentKey, alignment).ToArray(), $"'general.alignment' = {alignment} is not a power of two up to 1 MiB");
    }

    [Fact]
    public void BadAlignmentType()
    {
        ParseFails(RawGguf.Header(0, 1).Key(GgufFile.AlignmentKey, GgufValueType.Int32).U32(32).ToArray(), "'general.alignment' must be a UInt32, found Int32");
        ParseFails(RawGguf.Header(0, 1).Key(GgufFile.AlignmentKey, GgufValueType.UInt64).U64(32).ToArray(), "'general.alignment' must be a UInt32, found UInt64");
        ParseFails(RawGguf.Header(0, 1).Key(GgufFile.AlignmentKey, GgufValueType.String).Str("32").ToArray(), "'general.alignment' must be a UInt32, found String");
    }

    [Fact]
    public void ArraysNestedSeventeenDeep()
    {
        var image = RawGguf.Header(0, 1).Key("deep", GgufValueType.Array);
        for (int level = 0; level < 16; level++)
        {
            image.U32((uint)GgufValueType.Array).U64(1);
        }
        image.U32((uint)GgufValueType.UInt8).U64(1).U8(0);
        ParseFails(image.ToArray(), "metadata 'deep' nests arrays deeper than 16 levels");
    }

    [Fact]
    public void ArraysNestedVeryDeep_FailWithoutStackOverflow()
    {
        var image = RawGguf.Header(0, 1).Key("deep", GgufValueType.Array);
        for (int level = 0; level < 100_000; level++)
        {
            image.U32((uint)GgufValueType.Array).U64(1);
        }
        ParseFails(image.ToArray(), "nests arrays deeper than 16 levels");
    }

    public static TheoryData<string, byte[], string> HugeCounts => new()
    {
        { "tensor count 10^12", RawGguf.Header(1_000_000_000_000, 0).Zeros(64).ToArray(), "header claims 1000000000000 tensor infos, more than the file can hold" },
        { "tensor count 2^64-1", RawGguf.Header(ulong.MaxValue, 0).Zeros(64).ToArray(), "header claims 18446744073709551615 tensor infos" },
        { "metadata count 2^40", RawGguf.Header(0, 1UL << 40).Zeros(64).ToArray(), "header claims 1099511627776 metadata entries, more than the file can hold" },
        { "metadata count 2^31-1", RawGguf.Header(0, int.MaxValue).Zeros(64).ToArray(), "header claims 2147483647 metadata entries, more than the file can hold" },
        { "key length 2^40", RawGguf.Header(0, 1).U64(1UL << 40).Zeros(64).ToArray(), "string length 1099511627776 of key of metadata entry 0 extends past the end of the file" },
        { "string length 2^40", RawGguf.Header(0, 1).Key("s", GgufValueType.String).U64(1UL << 40).Zeros(64).ToArray(), "string length 1099511627776 of s extends past the end of the file" },
        { "string length 2^64-1", RawGguf.Header(0, 1).Key("s", GgufValueType.String).U64(ulong.MaxValue).Zeros(64).ToArray(), "string length 18446744073709551615 of s extends past" },
        { "tensor name length 2^40", RawGguf.Header(1, 0).U64(1UL << 40).Zeros(64).ToArray(), "string length 1099511627776 of name of tensor 0 extends past the end of the file" },
        { "u8 array length 2^62", ArrayOf(GgufValueType.UInt8, 1UL << 62), "header claims 4611686018427387904 elements of 'a', more than the file can hold" },
        { "string array length 2^62", ArrayOf(GgufValueType.String, 1UL << 62), "header claims 4611686018427387904 elements of 'a'" },
        { "nested array length 2^62", ArrayOf(GgufValueType.Array, 1UL << 62), "header claims 4611686018427387904 elements of 'a'" },
        { "f64 array length 2^28", ArrayOf(GgufValueType.Float64, 1UL << 28), "header claims 268435456 elements of 'a', more than the file can hold" },
        { "bool array length 2^31-1", ArrayOf(GgufValueType.Bool, int.MaxValue), "header claims 2147483647 elements of 'a'" },
    };

    private static byte[] ArrayOf(GgufValueType elementType, ulong count) =>
        RawGguf.Header(0, 1).Key("a", GgufValueType.Array).U32((uint)elementType).U64(count).Zeros(256).ToArray();

    [Theory]
    [MemberData(nameof(HugeCounts))]
    public void HugeCount_FailsFastWithoutLargeAllocation(string what, byte[] image, string expected)
    {
        _ = what;
        ParseFails(image, expected); // warm up: JIT and first-call allocations are not the parser's
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Parse(image));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 10 << 20, $"parsing allocated {allocated} bytes");
    }

    [Fact]
    public void PlausibleButLyingCounts_DoNotPreallocateForThem()
    {
        // Counts that the remaining bytes could hold, in a 16 MiB image whose second entry is bad:
        // the parser must not size its lists from the count (a 28 GiB model file would let
        // metadata count 2^31-1 through, and a list of that capacity cannot even be allocated).
        byte[] metadata = new byte[16 << 20];
        RawGguf.Header(0, (ulong)(metadata.Length - 24) / 13).ToArray().CopyTo(metadata, 0);
        byte[] tensors = new byte[16 << 20];
        RawGguf.Header((ulong)(tensors.Length - 24) / 32, 0).ToArray().CopyTo(tensors, 0);
        foreach (var (image, expected) in new[] { (metadata, "duplicate metadata key ''"), (tensors, "tensor '' has 0 dimensions") })
        {
            ParseFails(image, expected);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ModelFormatException>(() => GgufFile.Parse(image));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
            Assert.True(allocated < 1 << 20, $"parsing allocated {allocated} bytes");
        }
    }

    [Fact]
    public void ArrayBytesBeyond2GiB_AreRefusedNotWrapped()
    {
        // 2^29 + 1 UInt64 elements are 4 GiB + 8 bytes: in a model file over 4 GiB the count passes
        // the bytes-remaining check, and a 32-bit byte count would wrap to 8 and misread the file.
        using var folder = new TempDirectory();
        string path = folder.File("sparse.gguf");
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(RawGguf.Header(0, 1).Key("a", GgufValueType.Array).U32((uint)GgufValueType.UInt64).U64((1UL << 29) + 1).ToArray());
            stream.SetLength((9L << 29) + 4096); // sparse: the holes read as zeros and take no disk
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Open(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("metadata 'a' array of 536870913 elements is too large", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 10 << 20, $"parsing allocated {allocated} bytes");
    }
}
