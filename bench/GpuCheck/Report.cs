namespace QuantRuntime.GpuCheck;

/// <summary>One row of the summary table.</summary>
/// <param name="Section">check, bandwidth, gemv or decode.</param>
/// <param name="Name">What was checked or measured.</param>
/// <param name="Ok">Whether the row passed (measurements pass when they ran).</param>
/// <param name="Result">The number that matters, formatted.</param>
/// <param name="Detail">Supporting numbers.</param>
internal sealed record Row(string Section, string Name, bool Ok, string Result, string Detail);

/// <summary>Collects rows and prints them as one aligned table.</summary>
internal sealed class Report
{
    private readonly List<Row> _rows = [];

    public IReadOnlyList<Row> Rows => _rows;

    public bool AllOk => _rows.All(r => r.Ok);

    public void Add(Row row)
    {
        _rows.Add(row);
        Console.Error.WriteLine($"  {(row.Ok ? "ok  " : "FAIL")} {row.Section,-9} {row.Name,-34} {row.Result} {row.Detail}");
    }

    public void Print(TextWriter writer)
    {
        string[] header = ["section", "name", "status", "result", "detail"];
        var cells = _rows.Select(r => new[] { r.Section, r.Name, r.Ok ? "ok" : "FAIL", r.Result, r.Detail }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        string Line(string[] c) => "| " + string.Join(" | ", c.Select((v, i) => v.PadRight(widths[i]))) + " |";
        writer.WriteLine(Line(header));
        writer.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var c in cells)
        {
            writer.WriteLine(Line(c));
        }
    }
}
