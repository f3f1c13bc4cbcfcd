using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Haven.Host.Web;

/// <summary>
/// The page, its style and its script: plain files embedded in the haven assembly (Web/wwwroot), served from memory,
/// so the web view needs nothing on disk and nothing from the network. Anything else is a 404.
/// </summary>
internal static class WebAssets
{
    private static readonly FrozenDictionary<string, (string ContentType, byte[] Body)> Files = Load();

    public static IReadOnlyCollection<string> Paths => Files.Keys;

    public static void Map(WebApplication app)
    {
        foreach (var (path, file) in Files)
            app.MapGet(path, () => Results.Bytes(file.Body, file.ContentType));
        app.MapFallback((HttpContext http) => http.Request.Path.StartsWithSegments("/api")
            ? WebApi.NotFound($"no such endpoint: {http.Request.Path}")
            : Results.Text("not found\n", "text/plain; charset=utf-8", statusCode: 404));
    }

    private static FrozenDictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var files = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("web/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var file = name["web/".Length..];
            files[file == "index.html" ? "/" : "/" + file] = (ContentType(file), copy.ToArray());
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string file) => Path.GetExtension(file) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
