using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Re4.Recommenders.Training;

/// <summary>
/// Draws the batches of another sampler ahead, on a thread of its own, into a bounded queue, so that the training thread
/// finds the next batch ready instead of drawing it between steps. The batches and their order are exactly the inner
/// sampler's: only one thread ever draws from it, in order; so seeded runs are unchanged.
/// </summary>
/// <remarks>
/// <see cref="State"/> and <see cref="Epoch"/> describe the batches handed out, not those drawn ahead: each queued batch
/// carries the inner sampler's state and epoch after it was drawn, so a checkpoint resumes on the batch after the last
/// one trained on. Setting <see cref="State"/> stops the producer, drops the batches drawn ahead, and sets the inner
/// sampler; drawing resumes on the next <see cref="Next"/>. An exception of the inner sampler is rethrown by the
/// <see cref="Next"/> that would have returned its batch. Not thread-safe (one consumer); dispose to stop the thread.
/// </remarks>
internal sealed class PrefetchingSampler : ITrainingSampler, IDisposable
{
    private readonly ITrainingSampler _inner;
    private readonly int _depth;
    private BlockingCollection<Drawn>? _queue;
    private CancellationTokenSource? _stop;
    private Thread? _producer;
    private SamplerState _state;
    private int _epoch;
    private bool _disposed;

    /// <summary>Prefetches <paramref name="depth"/> batches of <paramref name="inner"/> (which it then owns: nothing else
    /// may draw from it).</summary>
    /// <param name="inner">The sampler whose batches are drawn ahead.</param>
    /// <param name="depth">Batches drawn ahead at most, at least 1.</param>
    public PrefetchingSampler(ITrainingSampler inner, int depth)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        _inner = inner;
        _depth = depth;
        _state = inner.State;
        _epoch = inner.Epoch;
    }

    /// <inheritdoc />
    public int Epoch => _epoch;

    /// <inheritdoc />
    public SamplerState State
    {
        get => _state;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            StopProducer();
            _inner.State = value;
            _state = _inner.State;
            _epoch = _inner.Epoch;
        }
    }

    /// <inheritdoc />
    public TrainingBatch Next()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_queue is null) StartProducer();
        var drawn = _queue!.Take();
        if (drawn.Error is { } error)
        {
            StopProducer();
            error.Throw();
        }

        _state = drawn.State!;
        _epoch = drawn.Epoch;
        return drawn.Batch!;
    }

    private void StartProducer()
    {
        var queue = new BlockingCollection<Drawn>(new ConcurrentQueue<Drawn>(), _depth);
        var stop = new CancellationTokenSource();
        var thread = new Thread(() => Produce(queue, stop.Token)) { IsBackground = true, Name = "Re4 batch prefetch" };
        _queue = queue;
        _stop = stop;
        _producer = thread;
        thread.Start();
    }

    private void Produce(BlockingCollection<Drawn> queue, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Drawn drawn;
                try
                {
                    var batch = _inner.Next();
                    drawn = new Drawn(batch, _inner.State, _inner.Epoch, null);
                }
                catch (Exception e)
                {
                    queue.Add(new Drawn(null, null, 0, ExceptionDispatchInfo.Capture(e)), stop);
                    return;
                }

                queue.Add(drawn, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for room in the queue.
        }
    }

    private void StopProducer()
    {
        if (_queue is null) return;
        _stop!.Cancel();
        _producer!.Join();
        _stop.Dispose();
        _queue.Dispose();
        _queue = null;
        _stop = null;
        _producer = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        StopProducer();
    }

    /// <summary>A batch drawn ahead, with the inner sampler's position after it, or the error drawing it raised.</summary>
    private sealed record Drawn(TrainingBatch? Batch, SamplerState? State, int Epoch, ExceptionDispatchInfo? Error);
}
