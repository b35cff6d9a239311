namespace QuantRuntime.Tests.Tokenization;

/// <summary>The small text the test vocabularies are learned from.</summary>
public static class TrainingText
{
    public const string English = """
        The quick brown fox jumps over the lazy dog. It's a simple sentence, but it holds every letter.
        Once upon a time, there was a little girl who lived in a village near the forest. She liked to
        walk in the woods and listen to the birds. One day she found a small house with a red door.
        "Hello," she said, "is anyone there?" Nobody answered, so she opened the door and went inside.
        The house was warm and quiet. There were three chairs, three bowls and three beds.
        We'll see what happens next: they're coming back, and you've got to hide! I'm not sure we can.
        Tokenizers split text into pieces. A piece can be a word, part of a word, or a single byte.
        Language models read those pieces one at a time and predict the next one.
        In 2024 the model was trained on 1,000,000 documents; in 2025 it saw 12345678 more.
        Numbers like 3.14159, 2.71828 and 42 appear in the text, and so do dates like 2024-01-01.
        def tokenize(text):
            return [piece for piece in text.split(' ') if piece]

        if (count > 0 && total < 100) { count++; }
        The café served crème brûlée and a naïve résumé was left on the table.
        Über den Wolken muss die Freiheit wohl grenzenlos sein.
        日本語のテキストと中文的文本也在这里。
        Hello world!! Hello world... Hello   world.
        The end of the story is near, and the reader wants to know how it ends.
        Every good story needs a beginning, a middle and an end; this one has all three.
        """;
}
