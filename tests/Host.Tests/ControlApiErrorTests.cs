using System.Net;
using System.Text;
using System.Text.Json;
using Haven.Host.Control;

namespace Haven.Host.Tests;

/// <summary>The control API answers every refusal with {"error": …}, also a body that is not JSON, and changes nothing.</summary>
public sealed class ControlApiErrorTests
{
    [Theory]
    [InlineData("v1/config/set", "{\"key\": ")]
    [InlineData("v1/config/set", "not json at all")]
    [InlineData("v1/ha", "{\"enabled\": \"maybe\"}")]
    public async Task Post_MalformedJson_400WithAnErrorNothingJournaled(string path, string body)
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        await daemon.WaitForEventAsync("cluster.dc-changed.v1"); // the start's own events are written
        using var client = new ControlClient(dir.File("haven.sock"));
        var before = await daemon.State.Journal.CountAsync(CancellationToken.None);

        using var response = await client.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.StartsWith("the request is not valid: ", error);
        Assert.Equal(before, await daemon.State.Journal.CountAsync(CancellationToken.None));
    }

    // Found by ControlApiFuzzTests: an unknown path or a verb a path does not take was answered with an empty body.
    [Theory]
    [InlineData("GET", "v1/nothing", 404, "no such request: GET /v1/nothing")]
    [InlineData("DELETE", "v1/config/set", 405, "/v1/config/set does not take DELETE")]
    [InlineData("GET", "v1/cluster/leave", 405, "/v1/cluster/leave does not take GET")]
    public async Task NoSuchRequest_404Or405WithAnErrorNamingIt(string method, string path, int status, string error)
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig());
        await daemon.WaitForEventAsync("daemon.started.v1");
        using var client = new ControlClient(dir.File("haven.sock"));

        using var response = await client.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(error, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }
}
