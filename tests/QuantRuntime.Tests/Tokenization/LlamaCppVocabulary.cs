using System.Reflection;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace QuantRuntime.Tests.Tokenization;

/// <summary>
/// llama.cpp (through LLamaSharp) with a GGUF loaded vocabulary-only: the oracle the tokenizer
/// tests compare with. llama_tokenize and llama_detokenize are called on raw UTF-8 so nothing in
/// between can hide a difference; LLamaSharp keeps them (and the llama_vocab pointer they take)
/// internal, so they are reached by reflection.
/// </summary>
public sealed unsafe class LlamaCppVocabulary : IDisposable
{
    private static readonly Lock LoadLock = new();
    private static readonly MethodInfo TokenizeMethod = Native("llama_tokenize");
    private static readonly MethodInfo DetokenizeMethod = Native("llama_detokenize");

    private readonly LLamaWeights _weights;
    private readonly object _vocab; // a boxed LLamaVocabNative*

    public LlamaCppVocabulary(string path)
    {
        lock (LoadLock)
        {
            // One process-wide log capture: a second llama_log_set would steal the oracle's log.
            Oracle.LlamaCppNative.EnsureLoaded();
            try
            {
                _weights = LLamaWeights.LoadFromFile(new ModelParams(path) { VocabOnly = true, GpuLayerCount = 0 });
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"llama.cpp could not load {path}: {Oracle.LlamaCppNative.LogTail()}", e);
            }
        }
        Vocab = _weights.NativeHandle.Vocab;
        _vocab = typeof(SafeLlamaModelHandle.Vocabulary)
            .GetProperty("VocabNative", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!
            .GetValue(Vocab)!;
    }

    public SafeLlamaModelHandle.Vocabulary Vocab { get; }

    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var tokens = new int[utf8.Length + 8];
        fixed (byte* t = utf8)
        fixed (int* o = tokens)
        {
            int n = (int)TokenizeMethod.Invoke(null, [_vocab, Pointer.Box(t, typeof(byte*)), utf8.Length,
                Pointer.Box(o, TokenizeMethod.GetParameters()[3].ParameterType), tokens.Length, addSpecial, parseSpecial])!;
            if (n < 0)
            {
                throw new InvalidOperationException($"llama_tokenize needs {-n} tokens");
            }
            return tokens[..n];
        }
    }

    public byte[] TokenToPiece(int id, bool special)
    {
        var buffer = new byte[1024];
        int n = NativeApi.llama_token_to_piece(Vocab, id, buffer, 0, special);
        return buffer[..n];
    }

    public string Detokenize(IReadOnlyList<int> ids, bool removeSpecial, bool unparseSpecial)
    {
        int[] tokens = [.. ids];
        var buffer = new byte[ids.Count * 64 + 64];
        fixed (int* t = tokens)
        fixed (byte* b = buffer)
        {
            int n = (int)DetokenizeMethod.Invoke(null, [_vocab, Pointer.Box(t, DetokenizeMethod.GetParameters()[1].ParameterType), tokens.Length,
                Pointer.Box(b, typeof(byte*)), buffer.Length, removeSpecial, unparseSpecial])!;
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
    }

    public bool IsEndOfGeneration(int id) => ((LLamaToken)id).IsEndOfGeneration(Vocab);

    public bool IsControl(int id) => ((LLamaToken)id).IsControl(Vocab);

    public void Dispose() => _weights.Dispose();

    private static MethodInfo Native(string name) =>
        typeof(NativeApi).GetMethod(name, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
        ?? throw new MissingMethodException(nameof(NativeApi), name);
}
