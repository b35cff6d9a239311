using System.Runtime.CompilerServices;
using ILGPU;

namespace QuantRuntime.Kernels.Backends.Ilgpu.Kernels;

/// <summary>Eight consecutive weights of a row, decoded into registers.</summary>
internal struct Float8
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;
}

/// <summary>
/// A weight matrix in device memory in its stored encoding, read by kernels one weight or one
/// unit of eight consecutive weights at a time. Decoding happens in registers; no kernel ever
/// writes a dequantized copy of a matrix. Implementations are small structs holding the raw
/// view, passed to kernels by value and specialized per type when a kernel is loaded.
/// </summary>
internal interface IWeights
{
    /// <summary>Weights per row.</summary>
    int Columns { get; }

    /// <summary>Weight (<paramref name="row"/>, <paramref name="column"/>).</summary>
    float Element(int row, int column);

    /// <summary>
    /// Weights 8·<paramref name="unit"/> .. 8·<paramref name="unit"/>+7 of <paramref name="row"/>;
    /// those at or beyond <see cref="Columns"/> read as zero.
    /// </summary>
    Float8 Unit(int row, int unit);
}

/// <summary>IEEE binary32 weights.</summary>
internal struct F32Weights : IWeights
{
    public ArrayView<float> Data;
    public int ColumnCount;

    public F32Weights(ArrayView<float> data, int columns)
    {
        Data = data;
        ColumnCount = columns;
    }

    public readonly int Columns => ColumnCount;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Element(int row, int column) => Data[(long)row * ColumnCount + column];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float8 Unit(int row, int unit)
    {
        int column = unit * 8;
        long i = (long)row * ColumnCount + column;
        Float8 v;
        if (column + 8 <= ColumnCount)
        {
            v.V0 = Data[i]; v.V1 = Data[i + 1]; v.V2 = Data[i + 2]; v.V3 = Data[i + 3];
            v.V4 = Data[i + 4]; v.V5 = Data[i + 5]; v.V6 = Data[i + 6]; v.V7 = Data[i + 7];
            return v;
        }
        int n = ColumnCount - column;
        v.V0 = n > 0 ? Data[i] : 0f;
        v.V1 = n > 1 ? Data[i + 1] : 0f;
        v.V2 = n > 2 ? Data[i + 2] : 0f;
        v.V3 = n > 3 ? Data[i + 3] : 0f;
        v.V4 = n > 4 ? Data[i + 4] : 0f;
        v.V5 = n > 5 ? Data[i + 5] : 0f;
        v.V6 = n > 6 ? Data[i + 6] : 0f;
        v.V7 = 0f;
        return v;
    }
}

/// <summary>Weights stored as 16-bit values (binary16 or bfloat16), widened by <typeparamref name="TWiden"/>.</summary>
internal struct HalfWeights<TWiden> : IWeights
    where TWiden : struct, IHalfDecoder
{
    public ArrayView<ushort> Data;
    public int ColumnCount;

    public HalfWeights(ArrayView<ushort> data, int columns)
    {
        Data = data;
        ColumnCount = columns;
    }

    public readonly int Columns => ColumnCount;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Element(int row, int column) => default(TWiden).ToFloat(Data[(long)row * ColumnCount + column]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float8 Unit(int row, int unit)
    {
        var widen = default(TWiden);
        int column = unit * 8;
        long i = (long)row * ColumnCount + column;
        Float8 v;
        if (column + 8 <= ColumnCount)
        {
            v.V0 = widen.ToFloat(Data[i]); v.V1 = widen.ToFloat(Data[i + 1]);
            v.V2 = widen.ToFloat(Data[i + 2]); v.V3 = widen.ToFloat(Data[i + 3]);
            v.V4 = widen.ToFloat(Data[i + 4]); v.V5 = widen.ToFloat(Data[i + 5]);
            v.V6 = widen.ToFloat(Data[i + 6]); v.V7 = widen.ToFloat(Data[i + 7]);
            return v;
        }
        int n = ColumnCount - column;
        v.V0 = n > 0 ? widen.ToFloat(Data[i]) : 0f;
        v.V1 = n > 1 ? widen.ToFloat(Data[i + 1]) : 0f;
        v.V2 = n > 2 ? widen.ToFloat(Data[i + 2]) : 0f;
        v.V3 = n > 3 ? widen.ToFloat(Data[i + 3]) : 0f;
        v.V4 = n > 4 ? widen.ToFloat(Data[i + 4]) : 0f;
        v.V5 = n > 5 ? widen.ToFloat(Data[i + 5]) : 0f;
        v.V6 = n > 6 ? widen.ToFloat(Data[i + 6]) : 0f;
        v.V7 = 0f;
        return v;
    }
}

/// <summary>bfloat16: the upper half of a binary32, widened exactly by a shift.</summary>
internal readonly struct BFloat16Widen : IHalfDecoder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ToFloat(ushort bits) => Interop.IntAsFloat((uint)bits << 16);
}

/// <summary>How the integer levels of a group are stored and what they mean.</summary>
internal interface ILevels
{
    /// <summary>Whether an fp16 minimum follows the fp16 scale (weight = d·q + m).</summary>
    bool Asymmetric { get; }

    /// <summary>Bits per level: 4 or 8.</summary>
    int Bits { get; }

    /// <summary>The level held in <paramref name="value"/>, the byte or nibble already isolated.</summary>
    int Level(uint value);
}

/// <summary>int8 s, weight = d·s (Q8_0, INT8 symmetric).</summary>
internal readonly struct Int8Symmetric : ILevels
{
    public bool Asymmetric => false;
    public int Bits => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    // Sign-extends by shifts: ILGPU's OpenCL output loses the sign of a (sbyte) conversion.
    public int Level(uint value) => (int)(value << 24) >> 24;
}

/// <summary>uint8 q, weight = d·q + m (INT8 asymmetric).</summary>
internal readonly struct Int8Asymmetric : ILevels
{
    public bool Asymmetric => true;
    public int Bits => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Level(uint value) => (int)value;
}

/// <summary>Nibble q, weight = d·(q − 8) (Q4_0, INT4 symmetric).</summary>
internal readonly struct Int4Symmetric : ILevels
{
    public bool Asymmetric => false;
    public int Bits => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Level(uint value) => (int)value - 8;
}

/// <summary>Nibble q, weight = d·q + m (Q4_1, INT4 asymmetric).</summary>
internal readonly struct Int4Asymmetric : ILevels
{
    public bool Asymmetric => true;
    public int Bits => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Level(uint value) => (int)value;
}

/// <summary>
/// Group-scaled blocks read as raw 16-bit words: per group of <see cref="GroupSize"/> weights an
/// fp16 scale d, an fp16 minimum m when asymmetric, then the levels. 8-bit levels are bytes in
/// order; 4-bit levels are packed per 32 weights as ggml's Q4_0 (byte j of a 16-byte run holds
/// weight j low and weight j + 16 high). ggml's Q8_0, Q4_0 and Q4_1 are the 32-weight members.
/// Every group is a whole number of 16-bit words, so one word view serves every layout.
/// </summary>
internal struct GroupWeights<TLevels, THalf> : IWeights
    where TLevels : struct, ILevels
    where THalf : struct, IHalfDecoder
{
    public ArrayView<ushort> Data;
    public int ColumnCount;
    public int GroupSize;
    public int GroupWords;
    public int RowWords;

    public GroupWeights(ArrayView<ushort> data, int columns, int groupSize)
    {
        var levels = default(TLevels);
        Data = data;
        ColumnCount = columns;
        GroupSize = groupSize;
        GroupWords = ((levels.Asymmetric ? 4 : 2) + groupSize * levels.Bits / 8) / 2;
        RowWords = columns / groupSize * GroupWords;
    }

    public readonly int Columns => ColumnCount;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Element(int row, int column)
    {
        var levels = default(TLevels);
        var half = default(THalf);
        int group = column / GroupSize;
        int within = column - group * GroupSize;
        long start = (long)row * RowWords + (long)group * GroupWords;
        float d = half.ToFloat(Data[start]);
        long body = start + (levels.Asymmetric ? 2 : 1);
        uint value;
        if (levels.Bits == 8)
        {
            uint word = Data[body + (within >> 1)];
            value = (within & 1) == 0 ? word & 0xFFu : word >> 8;
        }
        else
        {
            int run = within >> 5;
            int lane = within & 15;
            uint word = Data[body + run * 8 + (lane >> 1)];
            uint packed = (lane & 1) == 0 ? word & 0xFFu : word >> 8;
            value = (within & 16) == 0 ? packed & 0xFu : packed >> 4;
        }
        float w = d * levels.Level(value);
        return levels.Asymmetric ? w + half.ToFloat(Data[start + 1]) : w;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float8 Unit(int row, int unit)
    {
        var levels = default(TLevels);
        var half = default(THalf);
        int column = unit * 8;
        int group = column / GroupSize;
        int within = column - group * GroupSize;
        long start = (long)row * RowWords + (long)group * GroupWords;
        float d = half.ToFloat(Data[start]);
        long body = start + (levels.Asymmetric ? 2 : 1);
        uint w0, w1, w2, w3;
        int shift;
        if (levels.Bits == 8)
        {
            // Bytes within..within+7: four words, two levels each (low byte first).
            long at = body + (within >> 1);
            w0 = Data[at]; w1 = Data[at + 1]; w2 = Data[at + 2]; w3 = Data[at + 3];
            shift = 0;
        }
        else
        {
            // Weights within..within+7 of a 32-run are the low (first half) or high (second
            // half) nibbles of bytes (within mod 16)..+7 of the run's 16 bytes.
            int run = within >> 5;
            int offset = within & 31;
            long at = body + run * 8 + ((offset & 15) >> 1);
            w0 = Data[at]; w1 = Data[at + 1]; w2 = Data[at + 2]; w3 = Data[at + 3];
            shift = offset >= 16 ? 4 : 0;
        }
        uint mask = levels.Bits == 8 ? 0xFFu : 0xFu;
        Float8 v;
        v.V0 = d * levels.Level((w0 >> shift) & mask);
        v.V1 = d * levels.Level((w0 >> (8 + shift)) & mask);
        v.V2 = d * levels.Level((w1 >> shift) & mask);
        v.V3 = d * levels.Level((w1 >> (8 + shift)) & mask);
        v.V4 = d * levels.Level((w2 >> shift) & mask);
        v.V5 = d * levels.Level((w2 >> (8 + shift)) & mask);
        v.V6 = d * levels.Level((w3 >> shift) & mask);
        v.V7 = d * levels.Level((w3 >> (8 + shift)) & mask);
        if (levels.Asymmetric)
        {
            float m = half.ToFloat(Data[start + 1]);
            v.V0 += m; v.V1 += m; v.V2 += m; v.V3 += m;
            v.V4 += m; v.V5 += m; v.V6 += m; v.V7 += m;
        }
        return v;
    }
}
