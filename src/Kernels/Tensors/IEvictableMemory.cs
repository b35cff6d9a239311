namespace QuantRuntime.Kernels.Tensors;

/// <summary>
/// Memory whose resident pages may be dropped and read back on the next access, such as a
/// read-only file mapping. A backend that has copied a tensor into a layout of its own releases
/// the source pages, so the process does not hold the weights twice.
/// </summary>
public interface IEvictableMemory
{
    /// <summary>
    /// Drops the resident pages lying wholly inside bytes [<paramref name="start"/>,
    /// <paramref name="start"/> + <paramref name="count"/>). The bytes stay readable.
    /// </summary>
    void Evict(int start, int count);
}
