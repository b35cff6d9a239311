using System.Buffers.Binary;

namespace QuantRuntime.Kernels.Formats;

/// <summary>Decoding and encoding of one group of a <see cref="GroupScaledLayout"/> (see there for the layout).</summary>
public static class GroupScaledBlock
{
    /// <summary>Decodes whole groups from <paramref name="groups"/> into <paramref name="values"/>.</summary>
    public static void Dequantize(GroupScaledLayout layout, ReadOnlySpan<byte> groups, Span<float> values)
    {
        BlockGeometry.Check(groups.Length, values.Length, layout.GroupSize, layout.GroupBytes);
        for (int g = 0; g < values.Length / layout.GroupSize; g++)
        {
            var group = groups.Slice(g * layout.GroupBytes, layout.GroupBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(group);
            float m = layout.Asymmetric ? (float)BinaryPrimitives.ReadHalfLittleEndian(group[2..]) : 0f;
            var levels = group[layout.HeaderBytes..];
            var output = values.Slice(g * layout.GroupSize, layout.GroupSize);
            for (int i = 0; i < layout.GroupSize; i++)
            {
                output[i] = d * Level(layout, levels, i) + m;
            }
        }
    }

    /// <summary>The signed integer level of weight <paramref name="i"/> (int8 s, uint8 q, q − 8 or q).</summary>
    public static int Level(GroupScaledLayout layout, ReadOnlySpan<byte> levels, int i)
    {
        if (layout.Bits == 8)
        {
            return layout.Asymmetric ? levels[i] : (sbyte)levels[i];
        }
        int run = i / 32, within = i % 32;
        byte packed = levels[16 * run + within % 16];
        int q = within < 16 ? packed & 0x0F : packed >> 4;
        return layout.Asymmetric ? q : q - 8;
    }

    /// <summary>Smallest and largest level the layout stores.</summary>
    public static (int Min, int Max) LevelRange(GroupScaledLayout layout) => (layout.Bits, layout.Asymmetric) switch
    {
        (8, false) => (-128, 127),
        (8, true) => (0, 255),
        (4, false) => (-8, 7),
        _ => (0, 15),
    };

    /// <summary>Writes one group given its fp16 scale, fp16 minimum (ignored when symmetric) and levels.</summary>
    public static void Write(GroupScaledLayout layout, Half scale, Half minimum, ReadOnlySpan<int> levels, Span<byte> group)
    {
        BinaryPrimitives.WriteHalfLittleEndian(group, scale);
        if (layout.Asymmetric)
        {
            BinaryPrimitives.WriteHalfLittleEndian(group[2..], minimum);
        }
        var body = group[layout.HeaderBytes..];
        if (layout.Bits == 8)
        {
            for (int i = 0; i < layout.GroupSize; i++)
            {
                body[i] = (byte)levels[i];
            }
            return;
        }
        int offset = layout.Asymmetric ? 0 : 8;
        for (int run = 0; run < layout.GroupSize / 32; run++)
        {
            for (int j = 0; j < 16; j++)
            {
                int low = levels[32 * run + j] + offset, high = levels[32 * run + j + 16] + offset;
                body[16 * run + j] = (byte)(low | (high << 4));
            }
        }
    }

    /// <summary>
    /// Round-to-nearest: a symmetric group takes d = amax / (largest positive level) so no weight
    /// is clamped; an asymmetric one takes m = min and d = (max − min) / (levels − 1), covering
    /// [min, max]. Levels are rounded against the stored (fp16) scale and minimum, so each weight
    /// is within half a step of its decoded value (plus the fp16 rounding of m).
    /// </summary>
    public static void QuantizeRoundToNearest(GroupScaledLayout layout, ReadOnlySpan<float> values, Span<byte> groups)
    {
        BlockGeometry.Check(groups.Length, values.Length, layout.GroupSize, layout.GroupBytes);
        Span<int> levels = stackalloc int[layout.GroupSize];
        var (lo, hi) = LevelRange(layout);
        for (int g = 0; g < values.Length / layout.GroupSize; g++)
        {
            var x = values.Slice(g * layout.GroupSize, layout.GroupSize);
            float min = float.MaxValue, max = float.MinValue, amax = 0;
            foreach (float v in x)
            {
                min = MathF.Min(min, v);
                max = MathF.Max(max, v);
                amax = MathF.Max(amax, MathF.Abs(v));
            }
            Half scale, minimum = Half.Zero;
            if (layout.Asymmetric)
            {
                minimum = (Half)min;
                scale = (Half)((max - (float)minimum) / hi);
            }
            else
            {
                scale = (Half)(amax / hi);
            }
            Levels(x, (float)scale, (float)minimum, lo, hi, levels);
            Write(layout, scale, minimum, levels, groups.Slice(g * layout.GroupBytes, layout.GroupBytes));
        }
    }

    /// <summary>Levels of <paramref name="x"/> for a given scale and offset: round((x − m) / d), clamped.</summary>
    public static void Levels(ReadOnlySpan<float> x, float scale, float offset, int lo, int hi, Span<int> levels)
    {
        float inverse = scale != 0 ? 1f / scale : 0f;
        for (int i = 0; i < x.Length; i++)
        {
            levels[i] = Math.Clamp((int)MathF.Round((x[i] - offset) * inverse, MidpointRounding.AwayFromZero), lo, hi);
        }
    }
}
