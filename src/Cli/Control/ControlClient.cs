using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Haven.Host.Control;

/// <summary>
/// Talks to the local daemon's control API: HTTP+JSON over the owner-only Unix socket.
/// Every failure to reach it becomes a <see cref="CliException"/> with one clear line.
/// </summary>
internal sealed class ControlClient : IDisposable
{
    private readonly HttpClient _http;
    public string SocketPath { get; }

    public ControlClient(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The host name is never resolved: ConnectCallback always dials the socket.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://haven/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>GET; <paramref name="wait"/> bounds the answer (default 30 s; Timeout.InfiniteTimeSpan when the daemon bounds the work).</summary>
    public async Task<JsonElement> GetAsync(string path, CancellationToken ct = default, TimeSpan? wait = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait ?? TimeSpan.FromSeconds(30));
        using var response = await SendAsync(() => _http.GetAsync(path, timeout.Token));
        return await ReadJsonAsync(response, timeout.Token);
    }

    /// <summary>POST of one of the control API's request types (<see cref="ControlJsonContext"/>).</summary>
    public async Task<JsonElement> PostAsync<T>(string path, T body, CancellationToken ct = default, TimeSpan? wait = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait ?? TimeSpan.FromSeconds(30));
        using var response = await SendAsync(() => _http.PostAsJsonAsync(path, body, ControlJson.TypeOf<T>(ControlJson.Options), timeout.Token));
        return await ReadJsonAsync(response, timeout.Token);
    }

    /// <summary>Reads a newline-delimited JSON stream until the daemon closes it or ct is cancelled.</summary>
    public async IAsyncEnumerable<JsonElement> StreamAsync(string path,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(() => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct));
        if (!response.IsSuccessStatusCode)
        {
            await ReadJsonAsync(response, ct); // throws with the daemon's error
        }
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
            catch (IOException)
            {
                throw new CliException($"connection to the haven daemon at {SocketPath} was lost");
            }
            if (line is null) yield break;
            if (line.Length == 0) continue;
            yield return JsonDocument.Parse(line).RootElement.Clone();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException or IOException || e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new CliException($"no haven daemon at {SocketPath}");
        }
        catch (SocketException)
        {
            throw new CliException($"no haven daemon at {SocketPath}");
        }
        catch (TaskCanceledException)
        {
            throw new CliException($"the haven daemon at {SocketPath} did not answer in time");
        }
    }

    private async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonElement body;
        try
        {
            body = string.IsNullOrWhiteSpace(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliException($"the haven daemon at {SocketPath} answered with something that is not JSON (HTTP {(int)response.StatusCode})");
        }
        if (response.IsSuccessStatusCode) return body;
        var message = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) ? e.GetString() : null;
        throw response.StatusCode == HttpStatusCode.BadRequest
            ? new CliException(message ?? "the daemon refused the request", ExitCodes.Error)
            : new CliException(message ?? $"the daemon answered HTTP {(int)response.StatusCode}");
    }

    /// <summary>The HTTP client on the socket, for requests the typed methods do not make (tests send malformed bodies).</summary>
    internal HttpClient Http => _http;

    public void Dispose() => _http.Dispose();
}
