using System.Text;
using QuantRuntime.Tokenization;

namespace QuantRuntime.Quantization;

/// <summary>Reads a calibration file: token ids (integers separated by whitespace or commas) or UTF-8 text.</summary>
public static class CalibrationData
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The calibration tokens in <paramref name="path"/>; text needs <paramref name="tokenizer"/>.</summary>
    /// <exception cref="ArgumentException">The file is empty, not UTF-8, or text for a model without a tokenizer.</exception>
    public static IReadOnlyList<int> Load(string path, ModelTokenizer? tokenizer)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"calibration file '{path}' does not exist", path);
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException)
        {
            throw new ArgumentException($"calibration file '{path}' is not valid UTF-8");
        }
        var parts = text.Split([' ', '\t', '\r', '\n', ','], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new ArgumentException($"calibration file '{path}' is empty");
        }
        var ids = new List<int>(parts.Length);
        foreach (string part in parts)
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
            {
                ids = null;
                break;
            }
            ids.Add(id);
        }
        if (ids is not null)
        {
            return ids;
        }
        if (tokenizer is null)
        {
            throw new ArgumentException($"calibration file '{path}' is text, but the model has no tokenizer: give token ids");
        }
        return tokenizer.Encode(text, addSpecialTokens: true);
    }
}
