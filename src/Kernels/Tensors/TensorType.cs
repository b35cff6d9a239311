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

    // QuantRuntime's own group-scaled family (docs/FORMATS.md). Ids from 1024 up stay clear of
    // ggml's, which llama.cpp allocates from 0; llama.cpp cannot load these types.

    /// <summary>INT8, symmetric, groups of 32: fp16 scale + 32 int8.</summary>
    Int8G32 = 1024,
    /// <summary>INT8, symmetric, groups of 64.</summary>
    Int8G64 = 1025,
    /// <summary>INT8, symmetric, groups of 128.</summary>
    Int8G128 = 1026,
    /// <summary>INT8, symmetric, groups of 256.</summary>
    Int8G256 = 1027,
    /// <summary>INT8, asymmetric, groups of 32: fp16 scale and minimum + 32 uint8.</summary>
    Int8G32Asym = 1028,
    /// <summary>INT8, asymmetric, groups of 64.</summary>
    Int8G64Asym = 1029,
    /// <summary>INT8, asymmetric, groups of 128.</summary>
    Int8G128Asym = 1030,
    /// <summary>INT8, asymmetric, groups of 256.</summary>
    Int8G256Asym = 1031,
    /// <summary>INT4, symmetric, groups of 32: fp16 scale + 16 bytes of nibbles.</summary>
    Int4G32 = 1032,
    /// <summary>INT4, symmetric, groups of 64.</summary>
    Int4G64 = 1033,
    /// <summary>INT4, symmetric, groups of 128.</summary>
    Int4G128 = 1034,
    /// <summary>INT4, symmetric, groups of 256.</summary>
    Int4G256 = 1035,
    /// <summary>INT4, asymmetric, groups of 32: fp16 scale and minimum + 16 bytes of nibbles.</summary>
    Int4G32Asym = 1036,
    /// <summary>INT4, asymmetric, groups of 64.</summary>
    Int4G64Asym = 1037,
    /// <summary>INT4, asymmetric, groups of 128.</summary>
    Int4G128Asym = 1038,
    /// <summary>INT4, asymmetric, groups of 256.</summary>
    Int4G256Asym = 1039,
}
