using System.Collections.Immutable;
using System.Globalization;

namespace Haven.Actors.Events;

/// <summary>
/// CTDB's events.d rules, as a pure decision over a directory listing:
/// <list type="bullet">
/// <item>names ending in <c>~</c> (editor backups) are ignored;</item>
/// <item>names not of the form <c>NN.name</c> (two digits, a dot, a name) are skipped — a README may live there;</item>
/// <item>only executable regular files run (any execute bit: the daemon runs as root); the others are skipped;</item>
/// <item>an executable script that may not be trusted — writable by group or others, or (as the adapter finds) owned by
/// another user or in a directory others may change — is refused: it does not run, the others do, and the refusal is
/// reported on every run (anyone who could change it could run code as root);</item>
/// <item>two executable scripts with the same NN refuse the run (their order would be undefined); a disabled
/// (non-executable) script may share its NN — that is how an operator swaps one script for another;</item>
/// <item>the rest run in NN order.</item>
/// </list>
/// A rules error (a duplicate NN) refuses the whole run: the order would be undefined.
/// </summary>
public static class EventScriptRules
{
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    public static ScriptPlan Plan(string directory, IEnumerable<ScriptFile> listing)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(listing);
        var skipped = ImmutableArray.CreateBuilder<SkippedScript>();
        var errors = ImmutableArray.CreateBuilder<string>();
        var candidates = new List<PlannedScript>();
        var refusals = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var refused = ImmutableArray.CreateBuilder<string>();

        foreach (var file in listing.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            var path = Path.Combine(directory, file.Name);
            var executable = file.IsRegularFile && (file.Mode & AnyExecute) != 0;
            if (file.Name.EndsWith('~'))
            {
                skipped.Add(new SkippedScript(file.Name, "ignored: names ending in '~' are editor backups") { Executable = executable });
            }
            else if (Order(file.Name) is not { } order)
            {
                skipped.Add(new SkippedScript(file.Name, "skipped: not named NN.name (two digits, a dot, a name)") { Executable = executable });
            }
            else if (!file.IsRegularFile)
            {
                skipped.Add(new SkippedScript(file.Name, "skipped: not a regular file") { Executable = executable });
            }
            else if ((file.Mode & AnyExecute) == 0)
            {
                skipped.Add(new SkippedScript(file.Name, "skipped: not executable (chmod +x to enable it)") { Executable = executable });
            }
            else if ((file.Mode & GroupOrOtherWrite) != 0 || file.Untrusted is not null)
            {
                var (status, line) = (file.Mode & GroupOrOtherWrite) != 0
                    ? ($"refused: writable by group or others ({Octal(file.Mode)})",
                        $"event script {path} is writable by group or others ({Octal(file.Mode)}); refusing to run it: chmod go-w {path}")
                    : ($"refused: {file.Untrusted}", $"{file.Untrusted}; the other scripts run");
                skipped.Add(new SkippedScript(file.Name, status) { Executable = true });
                refusals[file.Name] = status;
                refused.Add(line);
            }
            else
            {
                candidates.Add(new PlannedScript(order, file.Name, path));
            }
        }

        foreach (var clash in candidates.GroupBy(c => c.Order).Where(g => g.Count() > 1))
        {
            var names = string.Join(" and ", clash.Select(c => c.Path));
            errors.Add($"event scripts {names} share the number {clash.Key:D2}; the order between them is undefined, so none run: renumber or chmod -x one of them");
            foreach (var c in clash)
            {
                var others = string.Join(", ", clash.Where(o => o != c).Select(o => o.Name));
                var reason = $"refused: shares {clash.Key:D2} with {others}";
                refusals[c.Name] = refusals.TryGetValue(c.Name, out var earlier) ? $"{earlier}; {reason}" : reason;
            }
        }

        return new ScriptPlan(directory, [.. candidates.OrderBy(c => c.Order)], skipped.ToImmutable(), errors.ToImmutable())
        {
            Refusals = refusals.ToImmutable(),
            RefusedScripts = refused.ToImmutable(),
        };
    }

    /// <summary>The NN of a name <c>NN.name</c>, or null when the name does not follow the rule.</summary>
    public static int? Order(string name) =>
        name.Length >= 4 && char.IsAsciiDigit(name[0]) && char.IsAsciiDigit(name[1]) && name[2] == '.'
            ? int.Parse(name.AsSpan(0, 2), NumberStyles.None, CultureInfo.InvariantCulture)
            : null;

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');
}
