using System.Reflection;
using Haven.Bench;

// haven-bench [NAME...]: runs the named benchmarks (all when none are named) and prints their figures.
// Figures go into the issue notes; nothing here is a test.
var all = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IBench).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBench)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToList();
if (args is ["--list"])
{
    foreach (var b in all) Console.WriteLine($"{b.Name}\t{b.Description}");
    return 0;
}
var chosen = args.Length == 0 ? all : all.Where(b => args.Contains(b.Name)).ToList();
var unknown = args.Except(all.Select(b => b.Name)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown benchmark(s): {string.Join(", ", unknown)}; --list shows them");
    return 2;
}
foreach (var b in chosen)
{
    Console.WriteLine($"== {b.Name}: {b.Description}");
    await b.RunAsync(Console.Out);
}
return 0;
