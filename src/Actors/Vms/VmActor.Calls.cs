using System.Globalization;
using Haven.Actors.Cluster;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Vms;

/// <summary>The VmActor's hypervisor calls (one at a time, each with a timeout) and its reports.</summary>
public sealed partial class VmActor
{
    // ---- hypervisor calls ----------------------------------------------------------------------------

    /// <summary>
    /// Reports an outcome under the placement this actor carries out (<see cref="VmInfo.Attempt"/>): the state takes it only
    /// for that attempt, so a report that arrives late (re-sent, or held up by a hung daemon) never answers a later placement.
    /// </summary>
    private void Report(IClusterEvent e)
    {
        e = Stamped(e, _assignment?.Vm?.Attempt ?? 0);
        _pending = e;
        Context.Parent.Tell(new VmReport(e), Self);
    }

    private static IClusterEvent Stamped(IClusterEvent e, long attempt) => e switch
    {
        VmRunning r when r.Attempt == 0 => r with { Attempt = attempt },
        VmStopped s when s.Attempt == 0 => s with { Attempt = attempt },
        VmFailed f when f.Attempt == 0 => f with { Attempt = attempt },
        VmOperationFailed o when o.Attempt == 0 => o with { Attempt = attempt },
        _ => e,
    };

    private void Status(Action<VmStatus?, string?> then)
    {
        if (_hypervisor is null)
        {
            then(new VmStatus(VmPowerState.Stopped, "no hypervisor"), null);
            return;
        }
        var definition = _spec!.Definition;
        Call(_policy.CallTimeout, async ct => await _hypervisor.StatusAsync(definition, ct).ConfigureAwait(false), then);
    }

    private void Kill(Action<VmStatus?, string?> then)
    {
        if (_hypervisor is null)
        {
            then(null, null);
            return;
        }
        var definition = _spec!.Definition;
        Call(_policy.CallTimeout, async ct => { await _hypervisor.KillAsync(definition, ct).ConfigureAwait(false); return null; }, then);
    }

    private void Call(TimeSpan timeout, Func<CancellationToken, Task<VmStatus?>> operation, Action<VmStatus?, string?> then)
    {
        _busy = true;
        _then = then;
        _callEpoch = _epoch;
        var id = ++_call;
        var self = Self;
        var time = Context.System.TimeProvider;
        var cts = new CancellationTokenSource(timeout, time);
        Task<VmStatus?> task;
        try
        {
            task = operation(cts.Token).WaitAsync(timeout, time);
        }
        catch (Exception e)
        {
            task = Task.FromException<VmStatus?>(e);
        }
        task.ContinueWith(t =>
            {
                cts.Dispose();
                self.Tell(t.IsCompletedSuccessfully
                    ? new CallDone(id, t.Result, null)
                    : new CallDone(id, null, t.IsCanceled || t.Exception?.GetBaseException() is TimeoutException
                        ? $"no answer within {Seconds(timeout)}"
                        : t.Exception?.GetBaseException().Message ?? "failed"), self);
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnCallDone(CallDone done)
    {
        if (done.Id != _call || !_busy) return;
        _busy = false;
        var then = _then;
        _then = null;
        if (_callEpoch != _epoch)
        {
            Step(); // the role changed while the call ran: start over for the new one
            return;
        }
        then?.Invoke(done.Status, done.Error);
    }

    private void Schedule(TimeSpan delay) => Timers.StartSingleTimer("step", Tick.Instance, delay);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";

    private static string Describe(VmStatus s) =>
        s.Detail.Length == 0 ? s.State.ToString().ToLowerInvariant() : $"{s.State.ToString().ToLowerInvariant()} ({s.Detail})";
}
