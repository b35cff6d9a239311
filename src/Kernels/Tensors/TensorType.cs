namespace QuantRuntime.Kernels.Tensors;

/// <summary>
/// Element or block encoding of a tensor. Values equal to ggml's <c>ggml_type</c> ids are
/// the ones llama.cpp shares with us, so GGUF files carry them unchanged.
/// </summary>
public enum TensorType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32 = 0,
    /// <summary>IEEE 754 binary16.</summary>
    F16 = 1,
    /// <summary>ggml Q4_0: blocks of 32 weights, fp16 scale, 4-bit values offset by 8.</summary>
    Q4_0 = 2,
    /// <summary>ggml Q4_1: blocks of 32 weights, fp16 scale and minimum, 4-bit values.</summary>
    Q4_1 = 3,
    /// <summary>ggml Q8_0: blocks of 32 weights, fp16 scale, int8 values.</summary>
    Q8_0 = 8,
    /// <summary>ggml Q4_K: 256-weight super-blocks with 6-bit sub-block scales and minimums.</summary>
    Q4_K = 12,
    /// <summary>ggml Q5_K: 256-weight super-blocks, 5-bit values.</summary>
    Q5_K = 13,
    /// <summary>ggml Q6_K: 256-weight super-blocks, 6-bit values, 8-bit sub-block scales.</summary>
    Q6_K = 14,
    /// <summary>bfloat16: the upper half of a binary32.</summary>
    BF16 = 30,
}
