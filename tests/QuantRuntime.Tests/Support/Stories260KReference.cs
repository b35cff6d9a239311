using System.Runtime.InteropServices;

namespace QuantRuntime.Tests.Support;

/// <summary>The llama2.c reference outputs for stories260K (see ../shared/reference/stories260K).</summary>
public static class Stories260KReference
{
    /// <summary>Vocabulary size of stories260K.</summary>
    public const int Vocabulary = 512;

    /// <summary>The greedy ids of <c>greedy64.ids.txt</c> or <c>greedy256.ids.txt</c>.</summary>
    public static int[] GreedyIds(int count) =>
        File.ReadAllText(RepositoryPaths.Stories260KReference($"greedy{count}.ids.txt"))
            .Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select(int.Parse)
            .ToArray();

    /// <summary>The 64 x 512 reference logits, row t after feeding the token at position t.</summary>
    public static float[] Logits64() =>
        MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(RepositoryPaths.Stories260KReference("greedy64.logits.f32"))).ToArray();
}
