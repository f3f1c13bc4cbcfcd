using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Dispatch;

namespace Haven.Actors.Akka;

/// <summary>
/// The one seeded, single-threaded run loop of a simulation: every dispatcher of every ActorSystem (host) that
/// names it runs its mailboxes here, and its <see cref="Clock"/> is their only time.
/// <para>
/// Free mode (boot): a pump thread of the loop runs queued work in arrival order, so that code which blocks
/// while actors start (ActorSystem.Create, TestKit's constructor, CreateTestProbe) can finish.
/// Stepped mode (after <see cref="Freeze"/>): nothing runs unless the owner thread calls <see cref="Step"/>,
/// which lets a <see cref="Random"/> seeded by <see cref="Seed"/> pick one pending item. Pending items are
/// kept sorted by a stable key — the normalised actor path of a mailbox, the enqueue number of anything else —
/// so the pick does not depend on the order in which hash-ordered collections inside Akka enqueued them.
/// </para>
/// <para>
/// Each item runs inside a Task on this TaskScheduler: ContinueWith without a scheduler, Task.Factory.StartNew,
/// await in a plain Receive and PipeTo(useConfigureAwait: true) come back to the loop. Anything enqueued from
/// another thread while stepping is an escape (thread pool, real timer): the next <see cref="Step"/> throws
/// <see cref="SimEscapeException"/> with the stack of the first one.
/// </para>
/// </summary>
public sealed class SimLoop : TaskScheduler, IDisposable
{
    private static readonly ConcurrentDictionary<string, SimLoop> Registry = new(StringComparer.Ordinal);
    [ThreadStatic] private static SimLoop? _running;

    private readonly object _gate = new();
    private readonly List<Item> _pending = [];
    private readonly Queue<Item> _free = new();
    private readonly Thread _pump;
    private readonly List<string> _escapes = [];
    private readonly List<Item> _quarantined = [];
    private Random _random;
    private bool _stepped;
    private bool _busy;
    private bool _disposed;
    private int _owner;
    private long _sequence;

    /// <summary>Creates a loop and registers it under <paramref name="name"/>, which the generated config names.</summary>
    public SimLoop(string name, int seed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Seed = seed;
        _random = new Random(seed);
        Clock = new VirtualClock(this);
        if (!Registry.TryAdd(name, this))
            throw new InvalidOperationException($"a simulation loop named '{name}' already exists");
        _pump = new Thread(Pump) { IsBackground = true, Name = $"sim-loop {name}" };
        _pump.Start();
    }

    /// <summary>The loop a dispatcher or scheduler section names; a config naming no live loop is a Haven bug.</summary>
    public static SimLoop Named(string name) => Registry.TryGetValue(name, out var loop)
        ? loop
        : throw new InvalidOperationException($"no simulation loop named '{name}' (disposed, or the config was built for another run)");

    /// <summary>The loop whose item runs on this thread, or null (TaskScheduler.Current is the loop too, inside a turn).</summary>
    public static SimLoop? Running => _running;

    public string Name { get; }
    public int Seed { get; private set; }
    public VirtualClock Clock { get; }
    public SimTrace Trace { get; } = new();

    /// <summary>Record every pick as a trace line (the key of the mailbox, or "task"/"work").</summary>
    public bool TracePicks { get; set; } = true;

    /// <summary>Items run since the loop was made (both modes); one-message mailboxes count their budget by it.</summary>
    public long Turn { get; private set; }

    /// <summary>Items run by <see cref="Step"/> since the last <see cref="Reset"/>.</summary>
    public long Steps { get; private set; }

    public bool IsStepped { get { lock (_gate) return _stepped; } }

    public int PendingCount { get { lock (_gate) return _stepped ? _pending.Count : _free.Count; } }

    /// <summary>Stacks of the work that reached the loop from another thread while stepping.</summary>
    public IReadOnlyList<string> Escapes { get { lock (_gate) return _escapes.ToList(); } }

    internal void Enqueue(IRunnable runnable) => Add(new Item(StableKey.Of(runnable), runnable, null));

    /// <summary>
    /// A message put into a mailbox queue from another thread while stepping is an escape even when the mailbox
    /// is already scheduled (then no runnable reaches <see cref="Add"/>: the mailbox reschedules itself from the
    /// loop after its turn, and the foreign message would be handled as if it had been sent on the loop).
    /// </summary>
    internal void NoteMessage(string key)
    {
        lock (_gate)
        {
            if (!_stepped || Environment.CurrentManagedThreadId == _owner) return;
            _escapes.Add($"a message to {key} enqueued from thread {Environment.CurrentManagedThreadId} " +
                         $"('{Thread.CurrentThread.Name}') while stepping:\n{Environment.StackTrace}");
        }
    }

    private void Add(Item item)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            item.Sequence = ++_sequence;
            if (!_stepped)
            {
                _free.Enqueue(item);
                Monitor.PulseAll(_gate);
                return;
            }
            if (Environment.CurrentManagedThreadId != _owner)
            {
                _escapes.Add($"{item.Label} enqueued from thread {Environment.CurrentManagedThreadId} " +
                             $"('{Thread.CurrentThread.Name}') while stepping:\n{Environment.StackTrace}");
                _quarantined.Add(item); // not run while stepping (the run has failed, the next Step says so); Thaw runs it
                return;
            }
            var index = _pending.BinarySearch(item, ItemOrder.Instance);
            _pending.Insert(index < 0 ? ~index : index, item);
        }
    }

    /// <summary>
    /// Waits until the free-running pump has nothing left, then hands the loop to the calling thread in stepped
    /// mode. Work still queued moves into the sorted set. Throws when boot does not settle within
    /// <paramref name="limit"/> (default 60 s: a condition wait, not a timing assumption).
    /// </summary>
    public void Freeze(TimeSpan? limit = null)
    {
        var deadline = Stopwatch.StartNew();
        var max = limit ?? TimeSpan.FromSeconds(60);
        lock (_gate)
        {
            if (_stepped) throw new InvalidOperationException($"loop {Name} is already stepped");
            while (_free.Count > 0 || _busy)
            {
                var left = max - deadline.Elapsed;
                if (left <= TimeSpan.Zero) throw new TimeoutException($"loop {Name}: boot did not settle within {max}");
                Monitor.Wait(_gate, left);
            }
            _stepped = true;
            _owner = Environment.CurrentManagedThreadId;
        }
    }

    /// <summary>Back to free mode (for code that must block while actors run, e.g. CreateTestProbe, Terminate).</summary>
    public void Thaw()
    {
        lock (_gate)
        {
            if (!_stepped) return;
            foreach (var item in _pending.Concat(_quarantined)) _free.Enqueue(item);
            _pending.Clear();
            _quarantined.Clear();
            _stepped = false;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Runs one pending item picked by the seeded Random; false when nothing is pending.</summary>
    public bool Step()
    {
        Item next;
        lock (_gate)
        {
            if (!_stepped) throw new InvalidOperationException($"loop {Name}: Step before Freeze");
            if (Environment.CurrentManagedThreadId != _owner)
                throw new InvalidOperationException($"loop {Name}: Step from a thread that does not own it");
            ThrowIfEscaped();
            if (_pending.Count == 0) return false;
            var index = _pending.Count == 1 ? 0 : _random.Next(_pending.Count);
            next = _pending[index];
            _pending.RemoveAt(index);
        }
        Steps++;
        if (TracePicks) Trace.Add(next.Label);
        Run(next);
        return true;
    }

    /// <summary>Steps until nothing is pending (time does not move); returns the number of steps.</summary>
    public int RunUntilIdle(int maxSteps = 10_000_000)
    {
        var steps = 0;
        while (Step())
            if (++steps >= maxSteps) throw new InvalidOperationException($"loop {Name} did not become idle within {maxSteps} steps (livelock?)");
        lock (_gate) ThrowIfEscaped();
        return steps;
    }

    /// <summary>
    /// Runs until idle, then moves the clock to the next due timer, fires what is due then and runs until idle
    /// again, until the clock reaches <paramref name="until"/> (time since the epoch) or, with no timer before it,
    /// jumps there.
    /// </summary>
    public void RunUntil(TimeSpan until)
    {
        RunUntilIdle();
        while (Clock.AdvanceToNextDue(until)) RunUntilIdle();
    }

    /// <summary>Like <see cref="RunUntil(TimeSpan)"/> for <paramref name="by"/> from now.</summary>
    public void RunFor(TimeSpan by) => RunUntil(Clock.Now + by);

    /// <summary>
    /// Runs, advancing time when idle, until <paramref name="done"/> holds or the clock passes <paramref name="limit"/>
    /// from now; false on the limit.
    /// </summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Clock.Now + limit;
        RunUntilIdle();
        while (!done())
        {
            if (!Clock.AdvanceToNextDue(end)) return done();
            RunUntilIdle();
        }
        return true;
    }

    /// <summary>
    /// Starts the next run on the same loop: a new seed, the clock back at the epoch, steps and trace cleared.
    /// Refuses while work is pending, a timer is armed or an escape is recorded: those would leak into the
    /// next seed. The caller stops the hosts' actors first (<see cref="SimHosts.Reset"/>).
    /// </summary>
    public void Reset(int seed)
    {
        lock (_gate)
        {
            if (_pending.Count > 0 || _free.Count > 0)
                throw new InvalidOperationException($"loop {Name}: cannot reset with {_pending.Count + _free.Count} items pending");
            ThrowIfEscaped();
            Clock.Reset();
            Seed = seed;
            _random = new Random(seed);
            Steps = 0;
            Trace.Clear();
        }
    }

    private void ThrowIfEscaped()
    {
        if (_escapes.Count > 0)
            throw new SimEscapeException(Name, _escapes.Count, _escapes[0]);
    }

    private void Pump()
    {
        while (true)
        {
            Item next;
            lock (_gate)
            {
                while (!_disposed && (_stepped || _free.Count == 0)) Monitor.Wait(_gate);
                if (_disposed) return;
                next = _free.Dequeue();
                _busy = true;
            }
            try { Run(next); }
            catch (Exception e) { Trace.Add($"boot failure in {next.Label}: {e.GetType().Name}: {e.Message}"); }
            finally
            {
                lock (_gate)
                {
                    _busy = false;
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    private void Run(Item item)
    {
        var outer = _running;
        var context = SynchronizationContext.Current;
        _running = this;
        Turn++;
        // No SynchronizationContext in a turn: await would capture the driver's (xunit's, say) before the loop's
        // TaskScheduler, and the continuation would run on that context's threads.
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            if (item.Task is { } task)
            {
                TryExecuteTask(task);
                return;
            }
            // A mailbox turn inside a Task on this scheduler: TaskScheduler.Current is the loop while it runs.
            var turn = new Task(static r => ((IRunnable)r!).Run(), item.Runnable);
            turn.RunSynchronously(this);
            if (turn.Exception is { } failed) throw failed.InnerException ?? failed;
        }
        finally
        {
            _running = outer;
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    // TaskScheduler: tasks started or continued on the loop come back to it.
    protected override void QueueTask(Task task) => Add(new Item(null, null, task));

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        !taskWasPreviouslyQueued && OnLoopThread() && TryExecuteTask(task);

    private bool OnLoopThread()
    {
        lock (_gate) return _stepped ? Environment.CurrentManagedThreadId == _owner : Thread.CurrentThread == _pump;
    }

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_gate) return _pending.Concat(_free).Select(i => i.Task).OfType<Task>().ToList();
    }

    public override int MaximumConcurrencyLevel => 1;

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        Registry.TryRemove(new KeyValuePair<string, SimLoop>(Name, this));
    }

    private sealed class Item(string? key, IRunnable? runnable, Task? task)
    {
        public readonly string? Key = key;
        public readonly IRunnable? Runnable = runnable;
        public readonly Task? Task = task;
        public long Sequence;
        public string Label => Key ?? (Task != null ? "task" : "work");
    }

    /// <summary>Keyed items by key, then arrival; unkeyed items (tasks, plain runnables) after them by arrival.</summary>
    private sealed class ItemOrder : IComparer<Item>
    {
        public static readonly ItemOrder Instance = new();

        public int Compare(Item? a, Item? b)
        {
            if (a!.Key is null != b!.Key is null) return a.Key is null ? 1 : -1;
            var byKey = string.CompareOrdinal(a.Key, b.Key);
            return byKey != 0 ? byKey : a.Sequence.CompareTo(b.Sequence);
        }
    }
}

/// <summary>Work reached a stepped loop from another thread: the run is not deterministic and has failed.</summary>
public sealed class SimEscapeException(string loop, int count, string first)
    : Exception($"simulation loop {loop}: {count} item(s) escaped the loop (enqueued from another thread while stepping); first:\n{first}");
