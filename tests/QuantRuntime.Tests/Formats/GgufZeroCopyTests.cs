using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using QuantRuntime.Formats.Gguf;
using QuantRuntime.Kernels.Tensors;
using QuantRuntime.Tests.Support;

namespace QuantRuntime.Tests.Formats;

/// <summary>Tensor data is handed out as views of the mapping (or the parsed array), never copied.</summary>
public sealed class GgufZeroCopyTests
{
    private static GgufWriter TwoTensors() => new GgufWriter()
        .Add("general.name", "zero-copy")
        .AddTensor("a", TensorType.F32, [8], Enumerable.Range(0, 32).Select(i => (byte)i).ToArray())
        .AddTensor("b", TensorType.Q8_0, [32, 2], Enumerable.Range(0, 68).Select(i => (byte)(255 - i)).ToArray());

    private static ref byte Start(ReadOnlyMemory<byte> memory) => ref MemoryMarshal.GetReference(memory.Span);

    [Fact]
    public void Parse_SlicesTheCallersArray()
    {
        using var stream = new MemoryStream();
        TwoTensors().WriteTo(stream);
        byte[] image = stream.ToArray();

        using var file = GgufFile.Parse(image);
        foreach (var tensor in file.Tensors)
        {
            long at = file.DataOffset + (long)tensor.Offset;
            Assert.True(Unsafe.AreSame(ref Start(file.GetData(tensor)), ref image[at]), $"tensor '{tensor.Name}' was copied");
        }
        // A write through the array shows through the tensor: same memory, not a snapshot.
        var a = file.Tensors[0];
        image[file.DataOffset + (long)a.Offset] = 0xAB;
        Assert.Equal(0xAB, file.GetData(a).Span[0]);
    }

    [Fact]
    public void Open_SlicesOneMapping()
    {
        using var folder = new TempDirectory();
        TwoTensors().Save(folder.File("m.gguf"));

        using var file = GgufFile.Open(folder.File("m.gguf"));
        var a = file.Tensors[0];
        var b = file.Tensors[1];
        var first = file.GetData(a);
        var second = file.GetData(a);

        Assert.False(MemoryMarshal.TryGetArray(first, out _)); // not backed by a managed copy
        Assert.True(Unsafe.AreSame(ref Start(first), ref Start(second)));
        Assert.True(Unsafe.AreSame(ref Start(first), ref MemoryMarshal.GetReference(file.GetHostTensor(a).Data.Span)));
        // Both tensors lie in one contiguous view of the file, as far apart as their offsets.
        Assert.Equal((nint)(long)(b.Offset - a.Offset), Unsafe.ByteOffset(ref Start(first), ref Start(file.GetData(b))));
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)i), first.ToArray());
    }

    [Fact]
    public unsafe void Open_PinsToTheSameAddressWithoutCopying()
    {
        using var folder = new TempDirectory();
        TwoTensors().Save(folder.File("m.gguf"));

        using var file = GgufFile.Open(folder.File("m.gguf"));
        var data = file.GetData(file.Tensors[1]);
        using var pin1 = data.Pin();
        using var pin2 = file.GetData(file.Tensors[1]).Pin();
        Assert.True(pin1.Pointer == pin2.Pointer);
        fixed (byte* span = data.Span)
        {
            Assert.True(span == pin1.Pointer);
        }
    }

    [Fact]
    public void GetData_AfterDispose_Throws()
    {
        using var folder = new TempDirectory();
        TwoTensors().Save(folder.File("m.gguf"));
        var file = GgufFile.Open(folder.File("m.gguf"));
        var tensor = file.Tensors[0];
        file.Dispose();
        file.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => file.GetData(tensor));
    }
}
