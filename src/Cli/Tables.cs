using Spectre.Console;
using Spectre.Console.Rendering;

namespace Haven.Host.Cli;

/// <summary>Tables for people (Spectre.Console), written to any TextWriter, plain when it is not a terminal.</summary>
internal static class Tables
{
    public static IAnsiConsole ConsoleFor(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
    });

    public static void KeyValues(TextWriter writer, IEnumerable<(string Key, string Value)> rows)
    {
        var table = new Table().NoBorder().HideHeaders().AddColumn("key").AddColumn("value");
        foreach (var (k, v) in rows) table.AddRow(new Text(k), new Text(v));
        Write(writer, table);
    }

    public static void Rows(TextWriter writer, string[] headers, IEnumerable<string[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var h in headers) table.AddColumn(h);
        foreach (var r in rows) table.AddRow(r.Select(c => (IRenderable)new Text(c)).ToArray());
        Write(writer, table);
    }

    private static void Write(TextWriter writer, IRenderable renderable)
    {
        var console = ConsoleFor(writer);
        console.Profile.Width = 200;
        console.Write(renderable);
    }

    public static string Duration(TimeSpan t) =>
        t.TotalDays >= 1 ? $"{(int)t.TotalDays}d {t.Hours}h {t.Minutes}m"
        : t.TotalHours >= 1 ? $"{t.Hours}h {t.Minutes}m {t.Seconds}s"
        : t.TotalMinutes >= 1 ? $"{t.Minutes}m {t.Seconds}s"
        : $"{t.TotalSeconds:0.#}s";
}
