using LLama.Native;

namespace QuantRuntime.Tests.Oracle;

/// <summary>llama.cpp's whole-model quantizer (llama_model_quantize), for comparing files.</summary>
public static class LlamaCppQuantizer
{
    /// <summary>Quantizes <paramref name="source"/> into <paramref name="destination"/>.</summary>
    /// <param name="source">An F32/F16 GGUF.</param>
    /// <param name="destination">The output path.</param>
    /// <param name="type">llama.cpp's file type, e.g. LLAMA_FTYPE_MOSTLY_Q4_0.</param>
    /// <param name="pure">Quantize every matrix to the one type (no per-tensor mixture).</param>
    public static void Quantize(string source, string destination, LLamaFtype type, bool pure)
    {
        LlamaCppNative.EnsureLoaded();
        var parameters = LLamaModelQuantizeParams.Default();
        parameters.ftype = type;
        parameters.nthread = 2;
        parameters.pure = pure;
        parameters.quantize_output_tensor = true;
        uint result = NativeApi.llama_model_quantize(source, destination, ref parameters);
        if (result != 0)
        {
            throw new InvalidOperationException($"llama_model_quantize returned {result}{Environment.NewLine}{LlamaCppNative.LogTail()}");
        }
    }
}
