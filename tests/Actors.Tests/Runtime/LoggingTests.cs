using Haven.Actors.Runtime;
using Haven.TestKit;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Tests.Runtime;

public sealed class LoggingTests
{
    private sealed record Entry(string Category, LogLevel Level, string Message, string? ActorPath);

    /// <summary>Records entries with the ActorPath of the innermost scope that carries one.</summary>
    private sealed class RecordingFactory : ILoggerFactory
    {
        public List<Entry> Entries { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }

        private sealed class Logger(RecordingFactory owner, string category) : ILogger
        {
            private readonly Stack<object> _scopes = new();

            public IDisposable BeginScope<TState>(TState state) where TState : notnull
            {
                _scopes.Push(state);
                return new Pop(_scopes);
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var path = _scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>()
                    .SelectMany(s => s).Where(kv => kv.Key == "ActorPath").Select(kv => kv.Value?.ToString()).FirstOrDefault();
                owner.Entries.Add(new Entry(category, logLevel, formatter(state, exception), path));
            }

            private sealed class Pop(Stack<object> scopes) : IDisposable
            {
                public void Dispose() => scopes.Pop();
            }
        }
    }

    private sealed class Chatty : Actor
    {
        public Chatty() => Receive<string>(s => Log.LogInformation("Heard {Word}", s));
    }

    [Fact]
    public void ActorLog_CarriesActorPathScope_AndDeadLettersAreLoggedAtDebug()
    {
        var factory = new RecordingFactory();
        var dispatcher = new DeterministicDispatcher();
        var system = ActorSystem.Create("logs", ActorSystemSettings.Deterministic(dispatcher, new VirtualClock(dispatcher: dispatcher), 1, factory));
        var chatty = system.ActorOf(Props.Create<Chatty>(), "chatty");
        chatty.Tell("hello", null);
        dispatcher.RunUntilIdle();
        var heard = Assert.Single(factory.Entries, e => e.Message == "Heard hello");
        Assert.Equal("haven://logs/user/chatty", heard.ActorPath);
        Assert.Equal(typeof(Chatty).FullName, heard.Category);
        system.Stop(chatty);
        dispatcher.RunUntilIdle();
        chatty.Tell("anyone", null);
        var dead = Assert.Single(factory.Entries, e => e.Message.StartsWith("Dead letter"));
        Assert.Equal(LogLevel.Debug, dead.Level);
        Assert.Contains("String", dead.Message);
        Assert.Contains("haven://logs/user/chatty", dead.Message);
        _ = Driver.IsDeterministic(system);
    }
}
