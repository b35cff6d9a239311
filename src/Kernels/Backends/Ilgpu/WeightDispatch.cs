using ILGPU;
using QuantRuntime.Kernels.Backends.Ilgpu.Kernels;
using QuantRuntime.Kernels.Formats;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>Receives a weight tensor as the kernel-side struct of its encoding.</summary>
internal interface IWeightsVisitor
{
    void Visit<TWeights>(TWeights weights) where TWeights : struct, IWeights;
}

/// <summary>Maps a <see cref="TensorType"/> to the struct that decodes it in kernels.</summary>
internal static class WeightDispatch
{
    /// <summary>Whether kernels exist for <paramref name="type"/>.</summary>
    public static bool Supports(TensorType type) =>
        type is TensorType.F32 or TensorType.F16 or TensorType.BF16 or TensorType.Q8_0 or TensorType.Q4_0 or TensorType.Q4_1
        || GroupScaledLayout.TryGet(type, out _);

    /// <summary>Hands <paramref name="visitor"/> the weights of <paramref name="weight"/>.</summary>
    public static void Accept<TVisitor>(IlgpuWeight weight, bool nativeHalf, ref TVisitor visitor)
        where TVisitor : struct, IWeightsVisitor =>
        Accept(weight.Type, weight.Columns, weight.FloatView, weight.WordView, nativeHalf, ref visitor);

    /// <summary>
    /// Hands <paramref name="visitor"/> the weights struct for <paramref name="type"/> over the given
    /// views (default views enumerate kernel types without any device memory).
    /// </summary>
    public static void Accept<TVisitor>(TensorType type, int columns, ArrayView<float> floats, ArrayView<ushort> words, bool nativeHalf, ref TVisitor visitor)
        where TVisitor : struct, IWeightsVisitor
    {
        if (type == TensorType.F32)
        {
            visitor.Visit(new F32Weights(floats, columns));
        }
        else if (type == TensorType.BF16)
        {
            visitor.Visit(new HalfWeights<BFloat16Widen>(words, columns));
        }
        else if (nativeHalf)
        {
            AcceptHalfScaled<TVisitor, NativeHalf>(type, columns, words, ref visitor);
        }
        else
        {
            AcceptHalfScaled<TVisitor, SoftHalf>(type, columns, words, ref visitor);
        }
    }

    private static void AcceptGroupScaled<TVisitor, THalf>(GroupScaledLayout layout, int columns, ArrayView<ushort> words, ref TVisitor visitor)
        where TVisitor : struct, IWeightsVisitor
        where THalf : struct, IHalfDecoder
    {
        switch (layout.Bits, layout.Asymmetric)
        {
            case (8, false):
                visitor.Visit(new GroupWeights<Int8Symmetric, THalf>(words, columns, layout.GroupSize));
                break;
            case (8, true):
                visitor.Visit(new GroupWeights<Int8Asymmetric, THalf>(words, columns, layout.GroupSize));
                break;
            case (4, false):
                visitor.Visit(new GroupWeights<Int4Symmetric, THalf>(words, columns, layout.GroupSize));
                break;
            case (4, true):
                visitor.Visit(new GroupWeights<Int4Asymmetric, THalf>(words, columns, layout.GroupSize));
                break;
            default:
                throw new NotSupportedException($"no ILGPU kernels for {layout.Name}");
        }
    }

    private static void AcceptHalfScaled<TVisitor, THalf>(TensorType type, int columns, ArrayView<ushort> words, ref TVisitor visitor)
        where TVisitor : struct, IWeightsVisitor
        where THalf : struct, IHalfDecoder
    {
        switch (type)
        {
            case TensorType.F16:
                visitor.Visit(new HalfWeights<THalf>(words, columns));
                break;
            case TensorType.Q8_0:
                visitor.Visit(new GroupWeights<Int8Symmetric, THalf>(words, columns, 32));
                break;
            case TensorType.Q4_0:
                visitor.Visit(new GroupWeights<Int4Symmetric, THalf>(words, columns, 32));
                break;
            case TensorType.Q4_1:
                visitor.Visit(new GroupWeights<Int4Asymmetric, THalf>(words, columns, 32));
                break;
            default:
                if (GroupScaledLayout.TryGet(type, out var layout))
                {
                    AcceptGroupScaled<TVisitor, THalf>(layout, columns, words, ref visitor);
                    break;
                }
                throw new NotSupportedException($"the ILGPU backend has no kernels for {TensorTypeInfo.Of(type).Name} weights");
        }
    }
}
