using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Models;

namespace QuantRuntime.Quantization;

/// <summary>Writes a quantized model as GGUF, with the keys that say how it was quantized.</summary>
public static class QuantizedModelWriter
{
    /// <summary>Key holding the scheme name.</summary>
    public const string SchemeKey = "quantruntime.quantization.scheme";

    /// <summary>Key holding the method (<c>rtn</c> or <c>search</c>).</summary>
    public const string MethodKey = "quantruntime.quantization.method";

    /// <summary>Builds the GGUF image of <paramref name="result"/>, carrying over the source's general and tokenizer metadata.</summary>
    public static GgufWriter Build(TransformerConfig config, QuantizationResult result, QuantizationOptions options, GgufMetadata? source, string name)
    {
        var extra = new List<KeyValuePair<string, GgufValue>>();
        // llama.cpp's llama_ftype, for the schemes it knows; it reads the tensor types regardless.
        uint? fileType = options.Scheme.Type switch
        {
            TensorType.F32 => 0,
            TensorType.F16 => 1,
            TensorType.Q4_0 => 2,
            TensorType.Q4_1 => 3,
            TensorType.Q8_0 => 7,
            _ => null,
        };
        if (fileType is { } ft)
        {
            extra.Add(new("general.file_type", GgufValue.FromUInt32(ft)));
        }
        extra.Add(new("general.quantization_version", GgufValue.FromUInt32(2)));
        extra.Add(new(SchemeKey, GgufValue.FromString(options.Scheme.Name)));
        extra.Add(new(MethodKey, GgufValue.FromString(options.Method == QuantizationMethod.Search ? "search" : "rtn")));
        return GgufModelWriter.Build(config, result.Weights, source, name, extra);
    }
}
