using System.Text;

namespace QuantRuntime.Tests.Tokenization;

/// <summary>The strings every tokenizer is compared with llama.cpp on.</summary>
public static class TokenizationStrings
{
    private static readonly string[] Handpicked =
    [
        "", " ", "  ", "   ", "    ", "\n", "\n\n", "\n\n\n", "\t", "\t\t", " \t\n ", "\r\n", " \r\n\r\n ",
        "Hello", " Hello", "  Hello", "   Hello", "Hello ", "Hello  ", "Hello world", "Hello  world", "Hello   world",
        "Hello world!", "Hello world!!", "Hello world...", "hello WORLD", "HELLO", "a", "aa", "aaa", "aaaa", "!!!", "...",
        "It's", "IT'S", "it'S", "we'll", "I'm", "they're", "you've", "she'd", "'s", "'", "''", "don't", "Don't stop",
        "1", "12", "123", "1234", "12345", "123456", "1234567", "3.14159", "1,000,000", "2024-01-01", "+1 (555) 010-9999",
        "x=42;y=7", "a1b2c3", "v2.0.1", "0x7FFF", "١٢٣ ٤٥٦", "²³",
        "café", "naïve", "Ünïcödé", "résumé", "crème brûlée", "Über den Wolken", "e\u0301", "a\u0308o\u0308",
        "日本語のテキスト", "中文测试", "한국어 텍스트", "Привет мир", "Ελληνικά", "עברית", "مرحبا بالعالم", "ไทย",
        "😀", "😀😀", "I ❤️ tokens", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "a😀b", " 😀 ", "🇫🇷🇩🇪",
        "𝐀𝐁𝐂 𝑥𝑦𝑧", "𠀀𠀁 text", "word𝐀word", "𠀀漢字", "x𝟘𝟙𝟚𝟛y", "😀a", "a'😀", "\n😀\n", " 𝐀 ", "a\u200Bb", "a\u00A0b", "\u3000全角", "zero\u200Dwidth", "\u2028line", "tab\there",
        "line1\nline2\r\nline3", "  leading", "trailing  ", "trailing\n", "\nleading newline", "a \n b", "a\t\tb",
        "def foo(x):\n    return x * 2\n", "if (a && b) { c++; }", "https://example.com/path?q=1&r=2#frag",
        "user@example.com", "C:\\Windows\\System32", "<html><body>Hi</body></html>", "$100 + 20% = ?",
        "The quick brown fox jumps over the lazy dog.", "Once upon a time, there was a little girl.",
        "wonderful", " wonderful", "QuantRuntime", " QuantRuntime", "tokenizer", " tokenizer", "tokenizers",
        "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", "text<|endoftext|>more", "<|endoftext|>",
        "<|im_start|><|im_end|>", "<|im_end|><|im_end|>", "<<|im_end|>>", " <|im_start|> ", "<|im_start", "im_end|>",
        "<s>hello</s>", "<s>", "</s>", "<unk>", "<tool>call</tool>", "<tool><tool>", "x<tool>y", "<tool_call>{}", " <tool_call> ",
        "<0x41>", "<unused0>", "▁", "a▁b", "\u0001\u0002", "\u007f", "\u0085", "ﬁ ligature", "Ⅻ", "½",
    ];

    private static readonly string[] Fragments =
    [
        " ", "  ", "   ", "\n", "\n\n", "\t", "the", " the", "The", " story", "tokenizer", " wonderful", "Hello", "world",
        "'s", "'ll", "'RE", "42", "2024", "1234567", "3.5", ",", ".", "!", "?", "...", "\"", "(", ")", "-", "_", "=",
        "café", "naïve", "日本", "語", "中文", "😀", "👍🏽", "👨‍👩‍👧", "𝐀", "é", "ß", "Ω", "ж", "\u00A0",
        "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool>", "</tool>", "<tool_call>", "<s>", "</s>",
    ];

    /// <summary>The handpicked strings plus 250 seeded random mixes of fragments.</summary>
    public static IReadOnlyList<string> All { get; } = Build();

    private static string[] Build()
    {
        var random = new Random(20240611);
        var mixes = new List<string>();
        for (int i = 0; i < 250; i++)
        {
            var text = new StringBuilder();
            int parts = random.Next(1, 12);
            for (int p = 0; p < parts; p++)
            {
                text.Append(Fragments[random.Next(Fragments.Length)]);
            }
            mixes.Add(text.ToString());
        }
        var sentences = TrainingText.English.Split('\n').Where(l => l.Length > 0);
        return [.. Handpicked, .. sentences, .. mixes.Distinct()];
    }
}
