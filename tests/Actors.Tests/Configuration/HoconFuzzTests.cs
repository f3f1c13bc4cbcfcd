using System.Text;
using Haven.Actors.Configuration;

namespace Haven.Actors.Tests.Configuration;

/// <summary>
/// Random and mutated inputs: the reader either returns a config or throws HoconException or
/// ConfigException — never anything else, never a hang (bounded iterations under a safety timeout).
/// </summary>
public sealed class HoconFuzzTests
{
    private const string Alphabet = "{}[],:=+#/\"$?.\\ \t\n\r abcxyz019-_@()eE";
    private static readonly string[] Fragments =
    [
        "a", "b.c", "=", ":", "+=", "{", "}", "[", "]", ",", "\n", " ", "\"x\"", "\"\"\"t\"\"\"", "${a}", "${?b.c}",
        "include \"x.conf\"", "include required(\"y\")", "1", "2.5", "true", "null", "5s", "64k", "# c\n", "// d\n",
    ];

    [Fact]
    public async Task Parse_MutatedAndRandomInputs_OnlyThrowConfigurationErrors()
    {
        var seeds = new[]
        {
            ReadReferenceText(),
            "a { b = [1, 2, ${c}], c = 3 }\nd = ${a.b} [4]\ne += x\nf = \"\"\"raw\"\"\" tail\ninclude \"inc.conf\"",
            "x = ${?HOME} \"/y\"\ny { z = ${x}, w = 10 MB, v = 2 minutes }\ny.z = ${y.w}",
        };
        var random = new Random(20240611);
        var includes = new FuzzIncludes();
        var failures = new List<string>();
        var parsed = 0;
        var work = Task.Run(() =>
        {
            for (var i = 0; i < 3000; i++)
            {
                var text = i % 3 == 0 ? RandomText(random) : Mutate(seeds[random.Next(seeds.Length)], random);
                try
                {
                    var config = HoconParser.Parse(text, "fuzz.conf", new HoconParseOptions
                    {
                        Includes = includes,
                        Environment = name => name == "HOME" ? "/root" : null,
                    });
                    parsed++;
                    HavenConfig.Validate(config);
                    HoconParser.Parse(config.Render(), "rendered.conf");
                    HavenSettings.From(config);
                }
                catch (Exception ex) when (ex is HoconException or ConfigException)
                {
                }
                catch (Exception ex)
                {
                    failures.Add($"{ex.GetType().Name}: {ex.Message}\n--- input ---\n{text}");
                }
            }
        });
        await work.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(3)));
        Assert.InRange(parsed, 100, 2900); // both accepted and rejected inputs were exercised
    }

    private static string Mutate(string seed, Random random)
    {
        var sb = new StringBuilder(seed);
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(5))
            {
                case 0: sb.Remove(at, Math.Min(random.Next(1, 8), sb.Length - at)); break;
                case 1: sb.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                case 2: sb.Insert(at, Fragments[random.Next(Fragments.Length)]); break;
                case 3: sb[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                default: sb.Length = at; break;
            }
        }

        return sb.ToString();
    }

    private static string RandomText(Random random)
    {
        var sb = new StringBuilder();
        var parts = random.Next(1, 40);
        for (var i = 0; i < parts; i++)
        {
            sb.Append(random.Next(3) == 0 ? Alphabet[random.Next(Alphabet.Length)].ToString() : Fragments[random.Next(Fragments.Length)]);
        }

        return sb.ToString();
    }

    private static string ReadReferenceText()
    {
        using var stream = typeof(HavenConfig).Assembly.GetManifestResourceStream(HavenConfig.ReferenceResourceName)!;
        return new StreamReader(stream).ReadToEnd();
    }

    private sealed class FuzzIncludes : IHoconIncludeResolver
    {
        public string? Resolve(string includeName, string fromSourceName, out string resolvedSourceName)
        {
            resolvedSourceName = includeName;
            return includeName switch
            {
                "inc.conf" => "inc { v = 1 }",
                "x.conf" => "include \"y\"",
                "y" => "include \"x.conf\"",
                _ => null,
            };
        }
    }
}
