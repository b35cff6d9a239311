using QuantRuntime.Training.Data;

namespace QuantRuntime.Training.Model;

/// <summary>
/// Several token sequences laid end to end as the rows of one matrix, so the linear layers run
/// as single large products; attention keeps each sequence (segment) to itself and positions
/// restart at 0 in each.
/// </summary>
internal sealed class PackedBatch
{
    private PackedBatch(int[] tokens, int[] positions, (int Start, int Length)[] segments, int[] targets, int[] scoredRows)
    {
        Tokens = tokens;
        Positions = positions;
        Segments = segments;
        Targets = targets;
        ScoredRows = scoredRows;
    }

    /// <summary>Input token of every row.</summary>
    public int[] Tokens { get; }

    /// <summary>Position of every row within its sequence.</summary>
    public int[] Positions { get; }

    /// <summary>First row and length of every sequence.</summary>
    public (int Start, int Length)[] Segments { get; }

    /// <summary>The token each row must predict, or −1 where the row is not scored.</summary>
    public int[] Targets { get; }

    /// <summary>The rows with a target, in order.</summary>
    public int[] ScoredRows { get; }

    /// <summary>Number of rows.</summary>
    public int Rows => Tokens.Length;

    /// <summary>Packs training examples; each row predicts the next token when that token is at or after the example's loss start.</summary>
    public static PackedBatch Pack(IReadOnlyList<TrainingExample> examples)
    {
        int rows = examples.Sum(e => e.Tokens.Length);
        var tokens = new int[rows];
        var positions = new int[rows];
        var targets = new int[rows];
        var segments = new (int, int)[examples.Count];
        var scored = new List<int>();
        int row = 0;
        for (int e = 0; e < examples.Count; e++)
        {
            var example = examples[e];
            segments[e] = (row, example.Tokens.Length);
            for (int i = 0; i < example.Tokens.Length; i++, row++)
            {
                tokens[row] = example.Tokens[i];
                positions[row] = i;
                bool scoredRow = i + 1 < example.Tokens.Length && i + 1 >= example.LossStart;
                targets[row] = scoredRow ? example.Tokens[i + 1] : -1;
                if (scoredRow)
                {
                    scored.Add(row);
                }
            }
        }
        return new PackedBatch(tokens, positions, segments, targets, [.. scored]);
    }

    /// <summary>Packs plain sequences with every row scored against its next token (the last row of each has no target).</summary>
    public static PackedBatch FromSequences(IReadOnlyList<int[]> sequences) =>
        Pack([.. sequences.Select(s => new TrainingExample(s, 1))]);
}
