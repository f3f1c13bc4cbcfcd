using Akka.Actor;
using Akka.Persistence;

namespace Haven.Adapters.Persistence.AkkaSql;

/// <summary>
/// Starts the journal and snapshot store of a real host at once and waits until they made their tables
/// (auto-initialize runs when a plugin actor starts; it is not a constructor's DDL). A throwaway persistent actor
/// with an id no actor uses recovers, which needs both plugins ready; nothing is written.
/// </summary>
public static class AkkaPersistenceStart
{
    public const string ProbeId = "haven-akka-persistence-start";

    public static async Task InitializeAsync(ActorSystem system, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        var probe = system.ActorOf(Props.Create(() => new StartProbe()), "haven-persistence-start");
        try
        {
            var reply = await probe.Ask<object>(StartProbe.Ready.Instance, timeout, cancellationToken).ConfigureAwait(false);
            if (reply is Status.Failure failure)
                throw new IOException($"the journal or snapshot store did not start: {failure.Cause.Message}", failure.Cause);
        }
        finally
        {
            probe.Tell(PoisonPill.Instance);
        }
    }

    private sealed class StartProbe : ReceivePersistentActor
    {
        private readonly List<IActorRef> _waiting = [];
        private bool _recovered;

        public StartProbe()
        {
            Recover<RecoveryCompleted>(_ =>
            {
                _recovered = true;
                foreach (var w in _waiting) w.Tell(Ready.Instance);
                _waiting.Clear();
            });
            Command<Ready>(_ =>
            {
                if (_recovered) Sender.Tell(Ready.Instance);
                else _waiting.Add(Sender);
            });
        }

        public override string PersistenceId => ProbeId;

        protected override void OnRecoveryFailure(Exception reason, object? message = null)
        {
            foreach (var w in _waiting) w.Tell(new Status.Failure(reason));
            base.OnRecoveryFailure(reason, message);
        }

        public sealed class Ready
        {
            public static readonly Ready Instance = new();
        }
    }
}
