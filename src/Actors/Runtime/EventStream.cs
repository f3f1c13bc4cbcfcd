using System.Collections.Immutable;

namespace Haven.Actors.Runtime;

/// <summary>
/// Publish/subscribe inside one ActorSystem. A subscriber to a type receives messages of that type and
/// of its subtypes, once per publish even when several of its subscriptions match, in subscription order.
/// Subscribers that stop are removed.
/// </summary>
public sealed class EventStream
{
    private readonly Lock _lock = new();
    private ImmutableArray<(IActorRef Subscriber, Type Channel)> _subscriptions = [];

    public bool Subscribe(IActorRef subscriber, Type channel)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(channel);
        if (subscriber is IInternalActorRef { IsTerminated: true }) return false;
        lock (_lock)
        {
            foreach (var s in _subscriptions)
                if (s.Channel == channel && s.Subscriber.Equals(subscriber)) return false;
            _subscriptions = _subscriptions.Add((subscriber, channel));
            return true;
        }
    }

    public bool Subscribe<T>(IActorRef subscriber) => Subscribe(subscriber, typeof(T));

    public bool Unsubscribe(IActorRef subscriber, Type channel)
    {
        lock (_lock)
        {
            var before = _subscriptions.Length;
            _subscriptions = _subscriptions.RemoveAll(s => s.Channel == channel && s.Subscriber.Equals(subscriber));
            return _subscriptions.Length != before;
        }
    }

    /// <summary>Removes every subscription of the subscriber.</summary>
    public bool Unsubscribe(IActorRef subscriber)
    {
        lock (_lock)
        {
            var before = _subscriptions.Length;
            _subscriptions = _subscriptions.RemoveAll(s => s.Subscriber.Equals(subscriber));
            return _subscriptions.Length != before;
        }
    }

    public int SubscriptionCount => _subscriptions.Length;

    public void Publish(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var subs = _subscriptions;
        var type = message.GetType();
        for (var i = 0; i < subs.Length; i++)
        {
            var (subscriber, channel) = subs[i];
            if (!channel.IsAssignableFrom(type)) continue;
            var already = false;
            for (var j = 0; j < i && !already; j++)
                already = subs[j].Channel.IsAssignableFrom(type) && subs[j].Subscriber.Equals(subscriber);
            if (!already) subscriber.Tell(message, null);
        }
    }
}
