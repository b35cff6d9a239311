using System.Reflection;
using ILGPU;
using QuantRuntime.Kernels.Backends.Ilgpu.Kernels;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Kernels.Backends.Ilgpu;

/// <summary>
/// Which kernel method (with its variant type arguments) a plan runs for each operator: the
/// single source of truth shared by the backend's loader and the PTX code-generation test.
/// </summary>
internal static class KernelMethods
{
    public static MethodInfo Gemv<TWeights>(KernelPlan plan) where TWeights : struct, IWeights =>
        plan.WarpShuffles
            ? Of<Action<TWeights, ArrayView<float>, ArrayView<float>, MatMulArgs>>(MatMulKernels.Gemv<TWeights, WarpReduction>)
            : Of<Action<TWeights, ArrayView<float>, ArrayView<float>, MatMulArgs>>(MatMulKernels.Gemv<TWeights, TreeReduction>);

    public static MethodInfo Gemm<TWeights>() where TWeights : struct, IWeights =>
        Of<Action<TWeights, ArrayView<float>, ArrayView<float>, MatMulArgs>>(MatMulKernels.Gemm);

    public static MethodInfo RmsNorm<TWeights>(KernelPlan plan) where TWeights : struct, IWeights =>
        plan.WarpShuffles
            ? Of<Action<ArrayView<float>, TWeights, ArrayView<float>, float>>(VectorKernels.RmsNorm<TWeights, WarpReduction>)
            : Of<Action<ArrayView<float>, TWeights, ArrayView<float>, float>>(VectorKernels.RmsNorm<TWeights, TreeReduction>);

    public static MethodInfo Embed<TWeights>() where TWeights : struct, IWeights =>
        Of<Action<TWeights, ArrayView<int>, ArrayView<float>, int>>(VectorKernels.Embed);

    public static MethodInfo AddBias<TWeights>() where TWeights : struct, IWeights =>
        Of<Action<ArrayView<float>, TWeights, int>>(VectorKernels.AddBias);

    public static MethodInfo Rope(KernelPlan plan) =>
        plan.Float64
            ? Of<Action<ArrayView<float>, RopeArgs>>(VectorKernels.Rope<RopeFloat64>)
            : Of<Action<ArrayView<float>, RopeArgs>>(VectorKernels.Rope<RopeFloat32>);

    public static MethodInfo Attention(KernelPlan plan) =>
        plan.WarpShuffles
            ? Of<Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArgs>>(AttentionKernels.Attention<WarpReduction>)
            : Of<Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArgs>>(AttentionKernels.Attention<TreeReduction>);

    public static MethodInfo Add() => Of<Action<ArrayView<float>, ArrayView<float>, int>>(VectorKernels.Add);

    public static MethodInfo SwiGlu() => Of<Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>>(VectorKernels.SwiGlu);

    /// <summary>
    /// Every kernel the plan can run, named, for every weight type the backend supports: what a
    /// device compiles lazily, enumerated eagerly (for the PTX code-generation test).
    /// </summary>
    public static IReadOnlyList<(string Name, MethodInfo Method)> All(KernelPlan plan)
    {
        var all = new List<(string, MethodInfo)>
        {
            ("rope", Rope(plan)),
            ("attention", Attention(plan)),
            ("add", Add()),
            ("swiglu", SwiGlu()),
        };
        foreach (var type in Enum.GetValues<TensorType>().Where(WeightDispatch.Supports))
        {
            var collector = new Collector { Plan = plan, Into = all, Type = TensorTypeInfo.Of(type).Name };
            WeightDispatch.Accept(type, 32, default, default, plan.NativeHalf, ref collector);
        }
        return all;
    }

    private static MethodInfo Of<TDelegate>(TDelegate kernel) where TDelegate : Delegate => kernel.Method;

    private struct Collector : IWeightsVisitor
    {
        public KernelPlan Plan;
        public List<(string, MethodInfo)> Into;
        public string Type;

        public readonly void Visit<TWeights>(TWeights weights) where TWeights : struct, IWeights
        {
            Into.Add(($"gemv/{Type}", Gemv<TWeights>(Plan)));
            Into.Add(($"gemm/{Type}", Gemm<TWeights>()));
            Into.Add(($"rmsnorm/{Type}", RmsNorm<TWeights>(Plan)));
            Into.Add(($"embed/{Type}", Embed<TWeights>()));
            Into.Add(($"bias/{Type}", AddBias<TWeights>()));
        }
    }
}
