namespace Haven.Adapters.Tests.Persistence;

/// <summary>
/// Lifecycle shared by the contract suites: open the store before each test, close it and clean up
/// after (even when the test failed), and reopen it mid-test to check durability.
/// </summary>
public abstract class StoreContractBase<TStore> : IAsyncLifetime where TStore : class
{
    private TStore? _store;

    protected TStore Store => _store ?? throw new InvalidOperationException("store not open");

    /// <summary>Opens the store under test; called again after <see cref="ReopenAsync"/> closed it.</summary>
    protected abstract Task<TStore> OpenAsync();

    /// <summary>Removes what the store left behind (files, schemas) after it was closed.</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    private static async Task CloseAsync(TStore store)
    {
        if (store is IAsyncDisposable d) await d.DisposeAsync();
    }

    protected async Task ReopenAsync()
    {
        var store = _store;
        _store = null;
        if (store is not null) await CloseAsync(store);
        _store = await OpenAsync();
    }

    public async Task InitializeAsync() => _store = await OpenAsync();

    public async Task DisposeAsync()
    {
        try
        {
            if (_store is not null) await CloseAsync(_store);
        }
        finally
        {
            await CleanupAsync();
        }
    }
}
