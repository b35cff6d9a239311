using QuantRuntime.Kernels.Backends;
using QuantRuntime.Kernels.Tensors;

namespace QuantRuntime.Quantization;

/// <summary>
/// A backend decorator that computes with an inner backend and, at every matrix multiply, adds
/// the input activations to <see cref="ActivationImportance"/> for the multiplied tensor. The
/// forward pass itself is unchanged, so calibration needs no hook in the engine.
/// </summary>
internal sealed class ImportanceRecordingBackend(IComputeBackend inner, ActivationImportance importance) : ComputeBackendDecorator(inner)
{
    private float[] _scratch = [];

    public override string Name => $"{Inner.Name}+importance";

    public override IDeviceWeight Upload(HostTensor tensor) => new RecordedWeight(Inner.Upload(tensor), tensor);

    protected override IDeviceWeight Unwrap(IDeviceWeight weight) => ((RecordedWeight)weight).Inner;

    public override void MatMul(IDeviceWeight weight, IDeviceBuffer input, IDeviceBuffer output, int rows)
    {
        var recorded = (RecordedWeight)weight;
        int length = rows * weight.Columns;
        if (_scratch.Length < length)
        {
            _scratch = new float[length];
        }
        Inner.Read(input, 0, _scratch.AsSpan(0, length));
        lock (importance)
        {
            importance.Add(recorded.Tensor, _scratch.AsSpan(0, length), rows);
        }
        Inner.MatMul(recorded.Inner, input, output, rows);
    }

    private sealed class RecordedWeight(IDeviceWeight inner, HostTensor tensor) : IDeviceWeight
    {
        public IDeviceWeight Inner { get; } = inner;

        public HostTensor Tensor { get; } = tensor;

        public TensorType Type => Inner.Type;

        public int Rows => Inner.Rows;

        public int Columns => Inner.Columns;

        public void Dispose() => Inner.Dispose();
    }
}
