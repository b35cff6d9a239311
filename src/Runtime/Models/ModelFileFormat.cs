namespace QuantRuntime.Models;

/// <summary>The on-disk format a model was read from.</summary>
public enum ModelFileFormat
{
    /// <summary>llama.cpp's GGUF.</summary>
    Gguf,

    /// <summary>llama2.c's legacy checkpoint (<c>.bin</c>).</summary>
    Llama2c,

    /// <summary>A Hugging Face checkpoint folder (config.json, safetensors, tokenizer.json).</summary>
    HuggingFace,
}
