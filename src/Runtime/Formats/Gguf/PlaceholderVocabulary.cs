namespace QuantRuntime.Formats.Gguf;

/// <summary>
/// A stand-in SentencePiece vocabulary for models that come without one (llama2.c checkpoints),
/// so llama.cpp, which refuses a model without a vocabulary, can load the GGUF we write. It has
/// llama2.c's layout: unknown, BOS, EOS, the 256 byte tokens, then unused slots.
/// </summary>
public static class PlaceholderVocabulary
{
    /// <summary>Marks a file whose vocabulary is this placeholder, so readers can say so.</summary>
    public const string MarkerKey = "quantruntime.placeholder_vocabulary";

    /// <summary>Adds <c>tokenizer.ggml.*</c> keys for a vocabulary of <paramref name="size"/> tokens.</summary>
    public static void AddTo(GgufWriter writer, int size)
    {
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];
        for (int i = 0; i < size; i++)
        {
            (tokens[i], types[i]) = i switch
            {
                0 => ("<unk>", 2),
                1 => ("<s>", 3),
                2 => ("</s>", 3),
                < 259 => ($"<0x{i - 3:X2}>", 6),
                _ => ($"<unused{i}>", 5),
            };
        }
        writer.Add(MarkerKey, true);
        writer.Add("tokenizer.ggml.model", "llama");
        writer.Add("tokenizer.ggml.tokens", GgufArray.Of(tokens));
        writer.Add("tokenizer.ggml.scores", GgufArray.Of(scores));
        writer.Add("tokenizer.ggml.token_type", GgufArray.Of(types));
        writer.Add("tokenizer.ggml.bos_token_id", 1u);
        writer.Add("tokenizer.ggml.eos_token_id", 2u);
        writer.Add("tokenizer.ggml.unknown_token_id", 0u);
    }
}
