using System.Globalization;
using System.Text;
using QuantRuntime.Numerics;

namespace QuantRuntime.Training.Data;

/// <summary>
/// The arithmetic task of the project's own model: the question wording, the step-by-step working
/// the model is trained to write, answer extraction, and the held-out split. Training, the
/// evaluator and <c>quant eval --task arithmetic</c> all use this one definition.
/// </summary>
/// <remarks>
/// <para>A completion is <c>&lt;think&gt;WORKING&lt;/think&gt;ANSWER</c> (then end of sequence); in
/// <see cref="ThoughtMode.Direct"/> the working is empty. The working starts with a newline, so the
/// first token after <c>&lt;think&gt;</c> tells the two modes apart, and is built so each step is a
/// local look-up for a small transformer:</para>
/// <list type="number">
/// <item>The operands are restated zero-padded to a common width with a place label before each
/// digit (<c>a</c> = ones, <c>b</c> = tens, ... <c>e</c> = ten-thousands), highest place first:
/// <c>e4d8c2b1a3+e0d3c7b9a7</c>. Later steps find a digit by its label instead of by counting.</item>
/// <item>Subtraction compares the operands from the highest place down until they differ
/// (<c>e4-4=d8-8=c2-3&lt;</c>: label, the two digits, their relation); when the first is smaller
/// the operands are restated swapped after a minus sign (<c>-e...-e...</c>) and the answer is
/// negative.</item>
/// <item>One fixed-width line per place, ones first: label, the two digits, the carry (or borrow)
/// coming in, then two result digits, the carry (or borrow) going out and the digit of the result:
/// <c>b1+9+1=11</c>, <c>a3-7-0=16</c> (3 - 7 borrows: 13 - 7 = 6, borrow 1), <c>b7*6+1=43</c>.</item>
/// <item>The answer reads the result digits from the highest line down (with the final carry in
/// front, leading zeros dropped).</item>
/// </list>
/// <para>Operands are non-negative and at most five digits; the right operand of a multiplication is
/// one digit. The held-out split is a fixed hash of the problem (one in <see cref="HeldOutModulus"/>),
/// so held-out problems never occur in training, whatever the seeds.</para>
/// </remarks>
public static class ArithmeticTask
{
    /// <summary>The tag that opens the thoughts.</summary>
    public const string ThinkOpen = "<think>";

    /// <summary>The tag that closes the thoughts; the answer follows it.</summary>
    public const string ThinkClose = "</think>";

    /// <summary>A regular expression for the answer after <see cref="ThinkClose"/>: an optional minus and digits.</summary>
    public const string AnswerPattern = @"^\s*(-?\d+)";

    /// <summary>One problem in this many is held out (never trained on).</summary>
    public const int HeldOutModulus = 8;

    /// <summary>The largest operand length in digits.</summary>
    public const int MaxDigits = 5;

    private const string PlaceLabels = "abcde";

    /// <summary>The operator character of <paramref name="operation"/>.</summary>
    public static char SymbolOf(ArithmeticOperation operation) => operation switch
    {
        ArithmeticOperation.Add => '+',
        ArithmeticOperation.Subtract => '-',
        ArithmeticOperation.Multiply => '*',
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown operation"),
    };

    /// <summary>The question, e.g. <c>What is 372 * 6?</c>.</summary>
    public static string Question(ArithmeticProblem problem)
    {
        Validate(problem);
        return string.Create(CultureInfo.InvariantCulture, $"What is {problem.A} {problem.Symbol} {problem.B}?");
    }

    /// <summary>Parses a question written exactly as <see cref="Question"/> writes it; null otherwise.</summary>
    public static ArithmeticProblem? TryParseQuestion(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = System.Text.RegularExpressions.Regex.Match(text.Trim(), @"^What is (\d{1,5}) ([-+*]) (\d{1,5})\?$");
        if (!match.Success)
        {
            return null;
        }
        var operation = match.Groups[2].Value switch { "+" => ArithmeticOperation.Add, "-" => ArithmeticOperation.Subtract, _ => ArithmeticOperation.Multiply };
        var problem = new ArithmeticProblem(long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), operation, long.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
        return IsSupported(problem) ? problem : null;
    }

    /// <summary>The working written between the thinking tags (empty for <see cref="ThoughtMode.Direct"/>).</summary>
    public static string Thought(ArithmeticProblem problem, ThoughtMode mode = ThoughtMode.ChainOfThought)
    {
        Validate(problem);
        if (mode == ThoughtMode.Direct)
        {
            return string.Empty;
        }
        // A newline opens the working: after <think> the model chooses between "\n" (working, most
        // of the training data) and "</think>" (direct), so greedy decoding always works it out.
        var text = new StringBuilder(160).Append('\n');
        switch (problem.Operation)
        {
            case ArithmeticOperation.Add:
                WriteAddition(text, problem.A, problem.B);
                break;
            case ArithmeticOperation.Subtract:
                WriteSubtraction(text, problem.A, problem.B);
                break;
            default:
                WriteMultiplication(text, problem.A, problem.B);
                break;
        }
        return text.ToString();
    }

    /// <summary>The answer as the model writes it: the bare number, e.g. <c>-4243</c>.</summary>
    public static string AnswerText(ArithmeticProblem problem) => problem.Answer.ToString(CultureInfo.InvariantCulture);

    /// <summary>What the model writes after the question: <c>&lt;think&gt;WORKING&lt;/think&gt;ANSWER</c> (no end-of-sequence token).</summary>
    public static string Completion(ArithmeticProblem problem, ThoughtMode mode = ThoughtMode.ChainOfThought) =>
        ThinkOpen + Thought(problem, mode) + ThinkClose + AnswerText(problem);

    /// <summary>A whole training text: question then completion (no BOS / EOS tokens).</summary>
    public static string Format(ArithmeticProblem problem, ThoughtMode mode = ThoughtMode.ChainOfThought) =>
        Question(problem) + Completion(problem, mode);

    /// <summary>
    /// The answer in a model's output: the number after the last <see cref="ThinkClose"/> (or at the
    /// start of a text with no thinking tags, such as an answer phase generated on its own); null when
    /// there is none or the thoughts were never closed.
    /// </summary>
    public static long? ExtractAnswer(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int close = output.LastIndexOf(ThinkClose, StringComparison.Ordinal);
        string rest;
        if (close >= 0)
        {
            rest = output[(close + ThinkClose.Length)..];
        }
        else if (output.Contains(ThinkOpen, StringComparison.Ordinal))
        {
            return null;
        }
        else
        {
            rest = output;
        }
        var span = rest.AsSpan().TrimStart();
        int length = span.Length > 0 && span[0] == '-' ? 1 : 0;
        int digits = 0;
        while (length < span.Length && char.IsAsciiDigit(span[length]) && digits < 18)
        {
            length++;
            digits++;
        }
        return digits == 0 ? null : long.Parse(span[..length], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>Whether <paramref name="problem"/> is in the held-out split (never used for training).</summary>
    public static bool IsHeldOut(ArithmeticProblem problem)
    {
        ulong key = ((ulong)problem.Operation << 40) | ((ulong)problem.A << 20) | (ulong)problem.B;
        return SplitMix(key) % HeldOutModulus == 0;
    }

    /// <summary>
    /// The evaluation set: <paramref name="count"/> distinct held-out problems, in turn a 4-5 digit
    /// addition, a 4-5 digit subtraction (either sign) and a 3-digit by 1-digit multiplication (digits
    /// 1-9). The same count and seed give the same problems in the same order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or needs more distinct
    /// multiplications than the held-out split holds (about 1,000, so up to about 3,000 problems).</exception>
    public static IReadOnlyList<ArithmeticProblem> HeldOut(int count, ulong seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int multiplications = count / 3;
        int available = CountHeldOutMultiplications();
        if (multiplications > available)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"the held-out split has only {available} 3-digit multiplications");
        }
        var random = new SeededRandom(seed);
        var seen = new HashSet<ArithmeticProblem>();
        var problems = new List<ArithmeticProblem>(count);
        while (problems.Count < count)
        {
            var operation = (ArithmeticOperation)(problems.Count % 3);
            ArithmeticProblem candidate = operation == ArithmeticOperation.Multiply
                ? new(RandomNumber(random, 3), operation, 1 + random.NextInt(9))
                : new(RandomNumber(random, 4 + random.NextInt(2)), operation, RandomNumber(random, 4 + random.NextInt(2)));
            if (IsHeldOut(candidate) && seen.Add(candidate))
            {
                problems.Add(candidate);
            }
        }
        return problems;
    }

    /// <summary>Whether the task covers <paramref name="problem"/>: operands of 1-5 digits, a one-digit multiplier.</summary>
    public static bool IsSupported(ArithmeticProblem problem) =>
        problem.A is >= 0 and < 100_000 && problem.B is >= 0 and < 100_000 &&
        (problem.Operation != ArithmeticOperation.Multiply || problem.B < 10) &&
        Enum.IsDefined(problem.Operation);

    /// <summary>A uniform number of exactly <paramref name="digits"/> digits.</summary>
    internal static long RandomNumber(SeededRandom random, int digits)
    {
        long low = digits == 1 ? 0 : Pow10(digits - 1);
        return low + random.NextInt((int)(Pow10(digits) - low));
    }

    internal static long Pow10(int exponent)
    {
        long value = 1;
        for (int i = 0; i < exponent; i++)
        {
            value *= 10;
        }
        return value;
    }

    private static int CountHeldOutMultiplications()
    {
        int count = 0;
        for (long a = 100; a < 1000; a++)
        {
            for (long b = 1; b < 10; b++)
            {
                count += IsHeldOut(new(a, ArithmeticOperation.Multiply, b)) ? 1 : 0;
            }
        }
        return count;
    }

    private static void Validate(ArithmeticProblem problem)
    {
        if (!IsSupported(problem))
        {
            throw new ArgumentOutOfRangeException(nameof(problem), problem, "operands must have at most 5 digits and a multiplier one digit");
        }
    }

    private static int DigitCount(long value) => value < 10 ? 1 : 1 + DigitCount(value / 10);

    private static int Digit(long value, int place) => (int)(value / Pow10(place) % 10);

    // "e4d8c2b1a3": every place from the highest down, its label then its digit.
    private static void WriteLabelled(StringBuilder text, long value, int width)
    {
        for (int place = width - 1; place >= 0; place--)
        {
            text.Append(PlaceLabels[place]).Append((char)('0' + Digit(value, place)));
        }
    }

    private static void WriteColumn(StringBuilder text, int place, int left, char symbol, int right, int carryIn, int result)
    {
        // Fixed width: label, digit, operator, digit, '+' or '-', carry, '=', two digits, newline.
        char chain = symbol == '-' ? '-' : '+';
        text.Append(PlaceLabels[place]).Append((char)('0' + left)).Append(symbol).Append((char)('0' + right))
            .Append(chain).Append((char)('0' + carryIn)).Append('=')
            .Append((char)('0' + result / 10)).Append((char)('0' + result % 10)).Append('\n');
    }

    private static void WriteAddition(StringBuilder text, long a, long b)
    {
        int width = Math.Max(DigitCount(a), DigitCount(b));
        WriteLabelled(text, a, width);
        text.Append('+');
        WriteLabelled(text, b, width);
        text.Append('\n');
        int carry = 0;
        for (int place = 0; place < width; place++)
        {
            int sum = Digit(a, place) + Digit(b, place) + carry;
            WriteColumn(text, place, Digit(a, place), '+', Digit(b, place), carry, sum);
            carry = sum / 10;
        }
    }

    private static void WriteSubtraction(StringBuilder text, long a, long b)
    {
        int width = Math.Max(DigitCount(a), DigitCount(b));
        WriteLabelled(text, a, width);
        text.Append('-');
        WriteLabelled(text, b, width);
        text.Append('\n');
        // Compare from the highest place down to the first difference.
        for (int place = width - 1; place >= 0; place--)
        {
            int x = Digit(a, place), y = Digit(b, place);
            // Label, first digit, '-', second digit, relation: the '-' cues the look-up of the second
            // operand's digit as in the column lines, and the relation follows both digits.
            text.Append(PlaceLabels[place]).Append((char)('0' + x)).Append('-').Append((char)('0' + y)).Append(x < y ? '<' : x > y ? '>' : '=');
            if (x != y)
            {
                break;
            }
        }
        text.Append('\n');
        if (a < b)
        {
            text.Append('-');
            WriteLabelled(text, b, width);
            text.Append('-');
            WriteLabelled(text, a, width);
            text.Append('\n');
            (a, b) = (b, a);
        }
        int borrow = 0;
        for (int place = 0; place < width; place++)
        {
            int difference = Digit(a, place) - Digit(b, place) - borrow;
            int borrowOut = difference < 0 ? 1 : 0;
            // Written as borrow-out then digit: 3 - 7 - 0 = "16" (13 - 7 = 6, borrow 1).
            WriteColumn(text, place, Digit(a, place), '-', Digit(b, place), borrow, borrowOut * 10 + (difference + borrowOut * 10));
            borrow = borrowOut;
        }
    }

    private static void WriteMultiplication(StringBuilder text, long a, long b)
    {
        int width = DigitCount(a);
        WriteLabelled(text, a, width);
        text.Append('*').Append((char)('0' + (int)b)).Append('\n');
        int carry = 0;
        for (int place = 0; place < width; place++)
        {
            int product = Digit(a, place) * (int)b + carry;
            WriteColumn(text, place, Digit(a, place), '*', (int)b, carry, product);
            carry = product / 10;
        }
    }

    private static ulong SplitMix(ulong x)
    {
        ulong z = x + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
