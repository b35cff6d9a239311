using System.Runtime.InteropServices;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Tests.Oracle;

/// <summary>
/// ggml's own block quantizers and dequantizers, called in the libggml-base that LLamaSharp
/// loaded (found in this process's memory map, so the same build llama.cpp runs with).
/// </summary>
public static unsafe class GgmlNative
{
    private static readonly Lazy<nint> Library = new(Load);

    /// <summary>ggml_quantize_chunk on <paramref name="rows"/> rows of <paramref name="columns"/> float32 weights (no importance matrix).</summary>
    public static byte[] Quantize(TensorType type, ReadOnlySpan<float> values, int rows, int columns)
    {
        var quantize = (delegate* unmanaged[Cdecl]<int, float*, void*, long, long, long, float*, nuint>)
            NativeLibrary.GetExport(Library.Value, "ggml_quantize_chunk");
        var bytes = new byte[TensorTypeInfo.Of(type).ByteCount((long)rows * columns)];
        fixed (float* source = values)
        fixed (byte* destination = bytes)
        {
            nuint written = quantize((int)type, source, destination, 0, rows, columns, null);
            if ((long)written != bytes.Length)
            {
                throw new InvalidOperationException($"ggml_quantize_chunk wrote {written} bytes, expected {bytes.Length}");
            }
        }
        return bytes;
    }

    /// <summary>ggml's dequantize_row_{type} over whole blocks.</summary>
    public static float[] Dequantize(TensorType type, ReadOnlySpan<byte> blocks, int count)
    {
        string name = type switch
        {
            TensorType.Q4_0 => "dequantize_row_q4_0",
            TensorType.Q4_1 => "dequantize_row_q4_1",
            TensorType.Q8_0 => "dequantize_row_q8_0",
            TensorType.Q4_K => "dequantize_row_q4_K",
            TensorType.Q5_K => "dequantize_row_q5_K",
            TensorType.Q6_K => "dequantize_row_q6_K",
            _ => throw new NotSupportedException(type.ToString()),
        };
        var dequantize = (delegate* unmanaged[Cdecl]<byte*, float*, long, void>)NativeLibrary.GetExport(Library.Value, name);
        var values = new float[count];
        fixed (byte* source = blocks)
        fixed (float* destination = values)
        {
            dequantize(source, destination, count);
        }
        return values;
    }

    private static nint Load()
    {
        LlamaCppNative.EnsureLoaded();
        string? path = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && fields[5].EndsWith("libggml-base.so", StringComparison.Ordinal))
            .Select(fields => fields[5])
            .FirstOrDefault();
        return path is not null
            ? NativeLibrary.Load(path)
            : throw new InvalidOperationException("libggml-base.so is not loaded in this process (LLamaSharp did not load llama.cpp)");
    }
}
