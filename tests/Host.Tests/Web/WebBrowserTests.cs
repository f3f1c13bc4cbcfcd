using System.Net.Sockets;
using System.Text.Json;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Runtime;
using Haven.Host.Control;

namespace Haven.Host.Tests.Web;

/// <summary>
/// The web view in a real browser: Debian's headless Chromium loads the page from a running daemon (n1) of a simulated three-host
/// cluster, shows its hosts, addresses and VMs, and follows the cluster without a reload when n3 is cut off, fenced and its
/// resources come back on the others. Screenshots are kept in the test output (web-view/*.png).
/// </summary>
public class WebBrowserTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Page_SimulatedThreeHostCluster_ShowsHostsAddressesVmsAndFollowsAFailoverLive()
    {
        using var dir = new TempDir();
        await using var peers = new SimulatedPeers();
        var port = Haven.TestKit.LoopbackPorts.Free(ProtocolType.Tcp);
        var secrets = dir.WriteConfig("secrets.conf", "");
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              {{SimulatedPeers.ClusterConfig}}
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              split-brain-resolver.stable-after = 300ms
              logging.console = off
              events.scripts-dir = "{{dir.File("events.d")}}"
              fencing { enabled = on, secrets-file = "{{secrets}}", devices { pdu { type = pool } }, topology { "*" = [[pdu]] } }
              web { enabled = on, listen = "127.0.0.1:{{port}}" }
            }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config, peers.Overrides);
        var formed = await WaitForViewAsync(daemon, v => v.Members.Length == 3 && v.State.Ips.Count == 3
            && v.State.Vms.Count == 4 && v.State.Vms.Values.All(vm => vm.State == Haven.Actors.Vms.VmRunState.Running));

        await using var browser = await HeadlessChromium.StartAsync(1280, 860);
        await browser.NavigateAsync($"http://127.0.0.1:{port}/#cluster");
        var page = PageOf(browser);
        await browser.WaitUntilAsync("document.querySelectorAll('.host').length === 3 && document.querySelectorAll('.host li.vm').length === 4 && document.querySelectorAll('.host li.ip').length === 3 && document.querySelector('#live.on')",
            Patience, page);

        // Each host's card holds exactly the addresses and VMs the daemon's state puts there.
        var shown = await HostsShownAsync(browser);
        Assert.Equal(["n1", "n2", "n3"], shown.Keys.Order());
        foreach (var member in SimulatedPeers.Nodes)
        {
            var expected = formed.State.Ips.Values.Where(a => a.Node == member.Id).Select(a => $"{a.Ip}/{a.Mask}")
                .Concat(formed.State.Vms.Values.Where(vm => vm.Node == member.Id).Select(vm => vm.Name)).Order();
            Assert.Equal(expected, shown[member.Name].Items.Order());
            Assert.Equal("up", shown[member.Name].State);
        }
        Assert.Equal(["DB-1", "DB-2", "WEB-1", "WEB-2"], (await TextsAsync(browser, "#vms-table tbody tr td:first-child")).Order());
        Assert.Equal(["192.0.2.11/24", "192.0.2.12/24", "192.0.2.13/24"], (await TextsAsync(browser, "#ips-table tbody tr td:first-child")).Order());
        Assert.Contains("DC n1", await browser.EvaluateAsync("document.querySelector('#summary').textContent") is { } s ? s.GetString() : "");
        await SaveAsync(browser, "cluster-formed.png");

        // Cut n3 off: the page follows the journal — n3 fenced, its addresses and VMs on n1 and n2 — with no reload.
        await browser.EvaluateAsync("window.__sameDocument = true");
        peers.Isolate("n3");
        await browser.WaitUntilAsync("document.querySelector('[data-host=n3]').classList.contains('state-fenced') && !document.querySelector('[data-host=n3] li') && document.querySelectorAll('.host li.vm.running').length === 4 && document.querySelectorAll('.host li.ip').length === 3",
            Patience, page);
        Assert.True((await browser.EvaluateAsync("window.__sameDocument === true")).GetBoolean()); // live, not reloaded
        var after = await HostsShownAsync(browser);
        Assert.Equal("fenced", after["n3"].State);
        Assert.Equal(7, after["n1"].Items.Count + after["n2"].Items.Count);
        await SaveAsync(browser, "cluster-after-failover.png");

        // The VMs page: a click on a VM shows its placement explanation, as `haven vm explain` prints it.
        await browser.NavigateAsync($"http://127.0.0.1:{port}/#vms");
        await browser.WaitUntilAsync("document.querySelector('#vms-table tr[data-vm=\"DB-1\"]')", Patience, page);
        await browser.EvaluateAsync("document.querySelector('#vms-table tr[data-vm=\"DB-1\"]').click()");
        await browser.WaitUntilAsync("document.querySelector('#explain').textContent.startsWith('DB-1: ')", Patience, page);
        var explanation = (await browser.EvaluateAsync("document.querySelector('#explain').textContent")).GetString()!;
        var explained = await ClusterApi.ClusterOf(daemon.State).Ask<Haven.Actors.Vms.VmExplanation>(new Haven.Actors.Vms.ExplainVm("DB-1"), Patience);
        Assert.Equal(string.Join("\n", explained.Lines), explanation);
        await SaveAsync(browser, "vms.png");

        // The fencing page has the device, the catch-all level and this daemon's fence of n3 with its duration.
        await browser.NavigateAsync($"http://127.0.0.1:{port}/#fencing");
        await browser.WaitUntilAsync("[...document.querySelectorAll('#fence-history tbody tr')].some(tr => tr.textContent.includes('n3') && tr.textContent.includes('succeeded') && / s$/.test(tr.children[4].textContent))",
            Patience, page);
        Assert.Equal(["pdu"], await TextsAsync(browser, "#fence-devices tbody tr td:first-child"));
        Assert.Equal(["*"], await TextsAsync(browser, "#fence-topology tbody tr td:first-child"));

        // The timeline shows the failover in order: n3 lost, fenced, its resources taken back.
        await browser.NavigateAsync($"http://127.0.0.1:{port}/#timeline");
        await browser.WaitUntilAsync("document.querySelector('#journal [data-type=\"cluster.fence-succeeded.v1\"]') && document.querySelector('#chart svg circle.k-fence')", Patience, page);
        var types = (await browser.EvaluateAsync("[...document.querySelectorAll('#journal li')].map(li => li.dataset.type).reverse()"))
            .EnumerateArray().Select(t => t.GetString()!).ToList();
        var lost = types.FindLastIndex(t => t == "cluster.node-unreachable.v1");
        var fenced = types.FindLastIndex(t => t == "cluster.fence-succeeded.v1");
        Assert.True(lost >= 0 && fenced > lost, string.Join(", ", types));
        Assert.Contains(types.Skip(fenced), t => t == "cluster.takeip.v1");
        Assert.Contains(types.Skip(fenced), t => t == "cluster.vm-running.v1");
        await SaveAsync(browser, "timeline.png");

        // Dark when the system is: the page follows prefers-color-scheme.
        var light = (await browser.EvaluateAsync("getComputedStyle(document.body).backgroundColor")).GetString();
        await browser.PreferColorSchemeAsync("dark");
        var dark = (await browser.EvaluateAsync("getComputedStyle(document.body).backgroundColor")).GetString();
        Assert.NotEqual(light, dark);
        await SaveAsync(browser, "timeline-dark.png");

        // On a phone: nothing wider than the screen but the tables' own scrolling boxes.
        await browser.PreferColorSchemeAsync("light");
        await browser.ResizeAsync(390, 844, mobile: true);
        await browser.NavigateAsync($"http://127.0.0.1:{port}/#cluster");
        await browser.WaitUntilAsync("document.querySelectorAll('.host li.vm').length === 4", Patience, page);
        Assert.True((await browser.EvaluateAsync("document.documentElement.scrollWidth <= window.innerWidth")).GetBoolean(), "the page is wider than a phone");
        await SaveAsync(browser, "phone.png");

        // Left open for days the page stays bounded: 2,500 more events leave 2,000 kept and 300 listed.
        var kept = await browser.EvaluateAsync("""
            addEvents(Array.from({ length: 2500 }, (_, i) => ({ ordering: 1e12 + i, timestamp: new Date().toISOString(), type: 'cluster.node-up.v1', fields: { node: 1 } })));
            renderJournal();
            [state.events.length, document.querySelectorAll('#journal li').length]
            """);
        Assert.Equal([2000, 300], kept.EnumerateArray().Select(n => n.GetInt32()));
    }

    private sealed record HostShown(string State, List<string> Items);

    private static async Task<Dictionary<string, HostShown>> HostsShownAsync(HeadlessChromium browser)
    {
        var hosts = await browser.EvaluateAsync("""
            [...document.querySelectorAll('.host')].map(h => ({
              name: h.dataset.host,
              state: h.querySelector('h3 .badge').textContent,
              items: [...h.querySelectorAll('li')].map(li => li.textContent) }))
            """);
        return hosts.EnumerateArray().ToDictionary(h => h.GetProperty("name").GetString()!,
            h => new HostShown(h.GetProperty("state").GetString()!, [.. h.GetProperty("items").EnumerateArray().Select(i => i.GetString()!)]));
    }

    private static async Task<List<string>> TextsAsync(HeadlessChromium browser, string selector) =>
        [.. (await browser.EvaluateAsync($"[...document.querySelectorAll('{selector}')].map(e => e.textContent)")).EnumerateArray().Select(e => e.GetString()!)];

    private static Func<Task<string>> PageOf(HeadlessChromium browser) => async () =>
        (await browser.EvaluateAsync("document.querySelector('header').innerText + ' | ' + document.querySelector('main .page.active').innerText.slice(0, 600) + ' | journal: ' + [...document.querySelectorAll('#journal li')].map(li => li.dataset.type).join(' ')")).ToString();

    private static async Task SaveAsync(HeadlessChromium browser, string name)
    {
        var folder = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "web-view")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(folder, name), await browser.ScreenshotAsync());
    }

    /// <summary>Waits, woken by each journal write, until this host's cluster view satisfies <paramref name="done"/>.</summary>
    private static async Task<ClusterView> WaitForViewAsync(RunningDaemon daemon, Func<ClusterView, bool> done)
    {
        using var timeout = new CancellationTokenSource(Patience);
        ClusterView view;
        while (true)
        {
            var next = daemon.State.Journal.NextWrite;
            view = await ClusterApi.ViewAsync(daemon.State);
            if (done(view)) return view;
            try
            {
                await next.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the cluster never formed: {JsonSerializer.Serialize(ClusterStatusView.From(view), ControlJson.Options)}, " +
                    $"{view.State.Ips.Count} addresses, VMs {string.Join(", ", view.State.Vms.Values.Select(v => $"{v.Name} {v.State}"))}");
            }
        }
    }
}
