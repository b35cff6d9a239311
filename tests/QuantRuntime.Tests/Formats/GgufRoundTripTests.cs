using System.Buffers.Binary;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Formats;

/// <summary>GgufWriter → GgufFile → GgufWriter keeps every value, tensor and byte.</summary>
public sealed class GgufRoundTripTests
{
    /// <summary>One tensor of every supported type, 1-D to 4-D.</summary>
    private static readonly (string Name, TensorType Type, long[] Dimensions)[] TensorShapes =
    [
        ("f32.1d", TensorType.F32, [7]),
        ("f16.2d", TensorType.F16, [5, 3]),
        ("bf16.3d", TensorType.BF16, [3, 2, 2]),
        ("q8_0.2d", TensorType.Q8_0, [64, 3]),
        ("q4_0.4d", TensorType.Q4_0, [32, 2, 2, 1]),
        ("q4_1.1d", TensorType.Q4_1, [96]),
        ("q4_k.2d", TensorType.Q4_K, [256, 2]),
        ("q5_k.3d", TensorType.Q5_K, [256, 1, 2]),
        ("q6_k.4d", TensorType.Q6_K, [512, 1, 1, 2]),
        ("f32.4d", TensorType.F32, [1, 1, 1, 1]),
        .. global::QuantRuntime.Kernels.Formats.GroupScaledLayout.All.Select((l, i) => ($"{l.Name}.{i % 4 + 1}d", l.Type, (long[])[.. new long[] { l.GroupSize * (i % 3 + 1) }, .. Enumerable.Repeat(2L, i % 4)])),
    ];

    [Fact]
    public void TensorShapes_CoverEveryKnownType()
    {
        var known = Enum.GetValues<TensorType>().Where(TensorTypeInfo.IsKnown).ToHashSet();
        Assert.Equal(9 + 16, known.Count); // ggml's nine, and the int8/int4 group-scaled family
        Assert.Subset(TensorShapes.Select(t => t.Type).ToHashSet(), known);
        Assert.Superset(known, TensorShapes.Select(t => t.Type).ToHashSet());
    }

    /// <summary>Every value type, with edge values, in a fixed order.</summary>
    private static List<KeyValuePair<string, GgufValue>> SampleMetadata()
    {
        float nanWithPayload = BitConverter.Int32BitsToSingle(0x7FC01234);
        double negativeNan = BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000ABCUL));
        var entries = new List<KeyValuePair<string, GgufValue>>();
        void Add(string key, GgufValue value) => entries.Add(new(key, value));

        Add("general.architecture", GgufValue.FromString("llama"));
        Add("u8.min", GgufValue.FromUInt8(byte.MinValue));
        Add("u8.max", GgufValue.FromUInt8(byte.MaxValue));
        Add("i8.min", GgufValue.FromInt8(sbyte.MinValue));
        Add("i8.max", GgufValue.FromInt8(sbyte.MaxValue));
        Add("u16.max", GgufValue.FromUInt16(ushort.MaxValue));
        Add("i16.min", GgufValue.FromInt16(short.MinValue));
        Add("u32.max", GgufValue.FromUInt32(uint.MaxValue));
        Add("i32.min", GgufValue.FromInt32(int.MinValue));
        Add("i32.neg", GgufValue.FromInt32(-1));
        Add("u64.max", GgufValue.FromUInt64(ulong.MaxValue));
        Add("i64.min", GgufValue.FromInt64(long.MinValue));
        Add("f32.pi", GgufValue.FromFloat32(MathF.PI));
        Add("f32.negzero", GgufValue.FromFloat32(-0f));
        Add("f32.nan", GgufValue.FromFloat32(nanWithPayload));
        Add("f32.inf", GgufValue.FromFloat32(float.NegativeInfinity));
        Add("f32.subnormal", GgufValue.FromFloat32(float.Epsilon));
        Add("f64.e", GgufValue.FromFloat64(Math.E));
        Add("f64.nan", GgufValue.FromFloat64(negativeNan));
        Add("f64.negzero", GgufValue.FromFloat64(-0.0));
        Add("bool.true", GgufValue.FromBool(true));
        Add("bool.false", GgufValue.FromBool(false));
        Add("str.empty", GgufValue.FromString(""));
        Add("str.unicode", GgufValue.FromString("héllo wörld — 日本語 Ελληνικά"));
        Add("str.emoji", GgufValue.FromString("🦙 👩‍👩‍👧 🏳️‍🌈"));
        Add("str.controls", GgufValue.FromString("nul\0tab\tnewline\n"));
        Add("ключ.🔑", GgufValue.FromString("a unicode key"));
        Add("", GgufValue.FromString("an empty key"));

        Add("arr.u8", GgufValue.FromArray(GgufArray.Of(new byte[] { 0, 1, 255 })));
        Add("arr.i8", GgufValue.FromArray(GgufArray.Of(new sbyte[] { -128, 0, 127 })));
        Add("arr.u16", GgufValue.FromArray(GgufArray.Of(new ushort[] { 0, 65535 })));
        Add("arr.i16", GgufValue.FromArray(GgufArray.Of(new short[] { -32768, 32767, -1 })));
        Add("arr.u32", GgufValue.FromArray(GgufArray.Of(new uint[] { 0, 1, uint.MaxValue })));
        Add("arr.i32", GgufValue.FromArray(GgufArray.Of(new[] { int.MinValue, 0, int.MaxValue })));
        Add("arr.f32", GgufValue.FromArray(GgufArray.Of(new[] { 1.5f, -0f, nanWithPayload, float.PositiveInfinity })));
        Add("arr.bool", GgufValue.FromArray(GgufArray.Of(new[] { true, false, true })));
        Add("arr.str", GgufValue.FromArray(GgufArray.Of(new[] { "<s>", "", "▁the", "🦙", "\0" })));
        Add("arr.u64", GgufValue.FromArray(GgufArray.Of(new[] { 0UL, ulong.MaxValue })));
        Add("arr.i64", GgufValue.FromArray(GgufArray.Of(new[] { long.MinValue, -1L, long.MaxValue })));
        Add("arr.f64", GgufValue.FromArray(GgufArray.Of(new[] { Math.PI, -0.0, negativeNan })));
        Add("arr.nested", GgufValue.FromArray(GgufArray.Of(
        [
            GgufArray.Of(new uint[] { 1, 2, 3 }),
            GgufArray.Of(new[] { "mixed", "element types" }),
            GgufArray.Of(Array.Empty<float>()),
            GgufArray.Of([GgufArray.Of(new[] { true }), GgufArray.Of(Array.Empty<GgufArray>())]),
        ])));
        Add("arr.nested.empty", GgufValue.FromArray(GgufArray.Of(Array.Empty<GgufArray>())));
        Add("arr.empty.u8", GgufValue.FromArray(GgufArray.Of(Array.Empty<byte>())));
        Add("arr.empty.i8", GgufValue.FromArray(GgufArray.Of(Array.Empty<sbyte>())));
        Add("arr.empty.u16", GgufValue.FromArray(GgufArray.Of(Array.Empty<ushort>())));
        Add("arr.empty.i16", GgufValue.FromArray(GgufArray.Of(Array.Empty<short>())));
        Add("arr.empty.u32", GgufValue.FromArray(GgufArray.Of(Array.Empty<uint>())));
        Add("arr.empty.i32", GgufValue.FromArray(GgufArray.Of(Array.Empty<int>())));
        Add("arr.empty.f32", GgufValue.FromArray(GgufArray.Of(Array.Empty<float>())));
        Add("arr.empty.bool", GgufValue.FromArray(GgufArray.Of(Array.Empty<bool>())));
        Add("arr.empty.str", GgufValue.FromArray(GgufArray.Of(Array.Empty<string>())));
        Add("arr.empty.u64", GgufValue.FromArray(GgufArray.Of(Array.Empty<ulong>())));
        Add("arr.empty.i64", GgufValue.FromArray(GgufArray.Of(Array.Empty<long>())));
        Add("arr.empty.f64", GgufValue.FromArray(GgufArray.Of(Array.Empty<double>())));
        return entries;
    }

    private static byte[] RandomData(TensorType type, long[] dimensions, int seed)
    {
        long elements = dimensions.Aggregate(1L, (a, b) => a * b);
        var data = new byte[TensorTypeInfo.Of(type).ByteCount(elements)];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>The sample file, with <c>general.alignment</c> set to <paramref name="alignment"/> (0: absent).</summary>
    private static (GgufWriter Writer, GgufMetadata Metadata, byte[][] Data) Sample(uint alignment)
    {
        var entries = SampleMetadata();
        if (alignment != 0)
        {
            entries.Insert(1, new(GgufFile.AlignmentKey, GgufValue.FromUInt32(alignment)));
        }
        var writer = new GgufWriter();
        foreach (var (key, value) in entries)
        {
            writer.Add(key, value);
        }
        var data = new byte[TensorShapes.Length][];
        for (int i = 0; i < TensorShapes.Length; i++)
        {
            var (name, type, dimensions) = TensorShapes[i];
            data[i] = RandomData(type, dimensions, seed: 1000 + i);
            writer.AddTensor(name, type, dimensions, data[i]);
        }
        return (writer, new GgufMetadata(entries), data);
    }

    private static byte[] ToBytes(GgufWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>A writer holding exactly what <paramref name="file"/> holds.</summary>
    private static GgufWriter Rewrite(GgufFile file)
    {
        var writer = new GgufWriter().AddAll(file.Metadata);
        foreach (var tensor in file.Tensors)
        {
            writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, file.GetData(tensor));
        }
        return writer;
    }

    private static void AssertMatchesSample(GgufFile file, GgufMetadata metadata, byte[][] data, int alignment)
    {
        Assert.Equal(3u, file.Version);
        Assert.Equal(alignment, file.Alignment);
        GgufAssert.MetadataEqual(metadata, file.Metadata);
        Assert.Equal(0, file.DataOffset % alignment);
        Assert.Equal(TensorShapes.Length, file.Tensors.Count);
        long previousEnd = 0;
        for (int i = 0; i < TensorShapes.Length; i++)
        {
            var (name, type, dimensions) = TensorShapes[i];
            var tensor = file.Tensors[i];
            Assert.Equal(name, tensor.Name);
            Assert.Equal(type, tensor.Type);
            Assert.Equal(dimensions, tensor.Dimensions);
            Assert.Equal(data[i].Length, tensor.ByteCount);
            Assert.Equal(0UL, tensor.Offset % (ulong)alignment);
            Assert.Equal(0, (file.DataOffset + (long)tensor.Offset) % alignment);
            // Laid out in order, each at the first aligned offset after the previous one.
            Assert.Equal((previousEnd + alignment - 1) / alignment * alignment, (long)tensor.Offset);
            previousEnd = (long)tensor.Offset + tensor.ByteCount;
            Assert.True(file.GetData(tensor).Span.SequenceEqual(data[i]), $"data of tensor '{name}' differs");
            Assert.True(file.TryGetTensor(name, out var found));
            Assert.Same(tensor, found);
        }
        Assert.Equal(file.DataOffset + previousEnd, file.FileLength);
        Assert.False(file.TryGetTensor("missing", out _));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(8u)]
    [InlineData(32u)]
    [InlineData(64u)]
    [InlineData(4096u)]
    public void Parse_ReturnsEverythingWritten_AndRewritesByteIdentical(uint alignment)
    {
        var (writer, metadata, data) = Sample(alignment);
        byte[] image = ToBytes(writer);

        using var file = GgufFile.Parse(image);
        AssertMatchesSample(file, metadata, data, alignment == 0 ? GgufFile.DefaultAlignment : (int)alignment);

        Assert.Equal(image, ToBytes(Rewrite(file)));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(64u)]
    public void Open_ReturnsEverythingSaved_AndRewritesByteIdentical(uint alignment)
    {
        using var folder = new TempDirectory();
        var (writer, metadata, data) = Sample(alignment);
        writer.Save(folder.File("model.gguf"));

        using var file = GgufFile.Open(folder.File("model.gguf"));
        AssertMatchesSample(file, metadata, data, alignment == 0 ? GgufFile.DefaultAlignment : (int)alignment);

        Rewrite(file).Save(folder.File("copy.gguf"));
        Assert.Equal(File.ReadAllBytes(folder.File("model.gguf")), File.ReadAllBytes(folder.File("copy.gguf")));
        Assert.Equal(ToBytes(writer), File.ReadAllBytes(folder.File("model.gguf")));
    }

    [Fact]
    public void HeaderOnlyFiles_RoundTrip()
    {
        byte[] empty = ToBytes(new GgufWriter());
        using (var file = GgufFile.Parse(empty))
        {
            Assert.Equal(0, file.Metadata.Count);
            Assert.Empty(file.Tensors);
            Assert.Equal(ToBytes(Rewrite(file)), empty);
        }

        byte[] metadataOnly = ToBytes(new GgufWriter().Add("general.name", "x"));
        using (var file = GgufFile.Parse(metadataOnly))
        {
            Assert.Equal("x", file.Metadata.GetString("general.name"));
            Assert.Empty(file.Tensors);
            Assert.Equal(ToBytes(Rewrite(file)), metadataOnly);
        }

        // The padding after a tensor-less header is optional.
        using (var file = GgufFile.Parse(RawGguf.Header(0, 0).ToArray()))
        {
            Assert.Empty(file.Tensors);
        }
    }

    [Fact]
    public void Version2_IsAccepted()
    {
        var (writer, metadata, data) = Sample(0);
        byte[] image = ToBytes(writer);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(4), 2);

        using var file = GgufFile.Parse(image);
        Assert.Equal(2u, file.Version);
        GgufAssert.MetadataEqual(metadata, file.Metadata);
        Assert.True(file.GetData(file.Tensors[^1]).Span.SequenceEqual(data[^1]));
    }

    [Fact]
    public void ArraysNestedSixteenDeep_RoundTrip()
    {
        var array = GgufArray.Of(new[] { 42u });
        for (int level = 1; level < 16; level++)
        {
            array = GgufArray.Of([array]);
        }
        var writer = new GgufWriter().Add("deep", array);
        byte[] image = ToBytes(writer);

        using var file = GgufFile.Parse(image);
        var value = file.Metadata.GetArrayOrNull("deep")!;
        for (int level = 1; level < 16; level++)
        {
            value = Assert.Single(value.As<GgufArray>());
        }
        Assert.Equal([42u], value.As<uint>());
        Assert.Equal(image, ToBytes(Rewrite(file)));
    }

    [Fact]
    public void HostTensor_SeesRowsAndColumns()
    {
        var data = RandomData(TensorType.Q8_0, [64, 3, 2], seed: 7);
        byte[] image = ToBytes(new GgufWriter().AddTensor("w", TensorType.Q8_0, [64, 3, 2], data));

        using var file = GgufFile.Parse(image);
        var host = file.GetHostTensor(file.Tensors[0]);
        Assert.Equal(TensorType.Q8_0, host.Type);
        Assert.Equal(6, host.Rows);
        Assert.Equal(64, host.Columns);
        Assert.True(host.Row(5).SequenceEqual(data.AsSpan(5 * 68, 68)));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(1u << 21)] // a power of two, but more than GgufFile accepts
    [InlineData(1u << 31)]
    public void Writer_RefusesAlignmentTheReaderRefuses(uint alignment)
    {
        var writer = new GgufWriter();
        Assert.Throws<ArgumentException>(() => writer.Add(GgufFile.AlignmentKey, alignment));
        Assert.Throws<ArgumentException>(() => writer.Add(GgufFile.AlignmentKey, GgufValue.FromInt32(64)));
        Assert.Throws<ArgumentException>(() => writer.Add(GgufFile.AlignmentKey, GgufValue.FromUInt64(64)));

        // A refused entry is not half-added: the key is still free, and the file still parses.
        writer.Add(GgufFile.AlignmentKey, 1u << 20).AddTensor("t", TensorType.F32, [4], new byte[16]);
        using var file = GgufFile.Parse(ToBytes(writer));
        Assert.Equal(1 << 20, file.Alignment);
        Assert.Equal(1 << 20, file.DataOffset);
    }

    [Fact]
    public void Writer_RefusesDuplicatesAndMismatchedTensors()
    {
        var writer = new GgufWriter().Add("k", 1u);
        Assert.Throws<ArgumentException>(() => writer.Add("k", 2u));
        writer.AddTensor("t", TensorType.F32, [4], new byte[16]);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", TensorType.F32, [4], new byte[16]));

        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", TensorType.F32, [4], new byte[15]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", TensorType.Q8_0, [48], new byte[51]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", TensorType.F32, [4, 0], Array.Empty<byte>()));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", TensorType.F32, [1, 1, 1, 1, 1], new byte[4]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", TensorType.F32, [], Array.Empty<byte>()));
        // None of the refused tensors took the name.
        writer.AddTensor("u", TensorType.F32, [2], new byte[8]);
        Assert.Equal(2, writer.TensorCount);

        using var file = GgufFile.Parse(ToBytes(writer));
        Assert.Equal(["t", "u"], file.Tensors.Select(t => t.Name));
        Assert.Equal(1L, file.Metadata.GetInteger("k"));
    }

    [Fact]
    public void Writer_RefusesStringsThatAreNotValidUtf16()
    {
        // A lone surrogate has no UTF-8 form; writing U+FFFD instead would not round-trip.
        using var folder = new TempDirectory();
        var writer = new GgufWriter().Add("k", "lone \uD800 surrogate");
        Assert.Throws<ArgumentException>(() => writer.WriteTo(Stream.Null));
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add("\uDC00", 1u).WriteTo(Stream.Null));
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add("a", GgufArray.Of(["ok", "\uD83E"])).WriteTo(Stream.Null));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("\uD800", TensorType.F32, [1], new byte[4]).WriteTo(Stream.Null));
        var e = Assert.Throws<ArgumentException>(() => writer.Save(folder.File("bad.gguf")));
        Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }
}
