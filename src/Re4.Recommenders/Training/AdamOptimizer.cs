using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// Adam with torch.optim.Adam's arithmetic (no AMSGrad; weight decay as an L2 term added to the gradient, not AdamW),
/// written here because TorchSharp 0.107's own Adam hands libtorch Scalars it does not keep alive: under garbage
/// collection its <c>step()</c> failed within a few hundred steps (docs/troubleshooting.md). Every Scalar given to
/// TorchSharp here is a field of this object or a <c>using</c> local, so it outlives the native call.
/// </summary>
/// <remarks>
/// Per parameter, with g its gradient (plus weight_decay * p), t its own step count:
/// m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
/// p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
/// The operations and their order are TorchSharp's. CPU float32 parameters are updated by <see cref="AdamKernel"/> in one
/// pass with the same operations, except that its square root is IEEE's where libtorch's (MKL's) may differ in the last
/// bit, so weights can differ from TorchSharp's Adam in their last bits; other parameters match it bit for bit. Parameters whose gradient
/// is undefined are skipped, their step count included, as torch does. Not thread-safe.
/// <para>One parameter, a table of rows (the item embeddings), may be updated row-sparse ("lazy", as TensorFlow Addons'
/// LazyAdam and torch.optim.SparseAdam): <see cref="Step(Tensor?)"/> is given the rows the step used, and only those rows
/// of the weight and both moments get the update above (the same element-wise operations, so a step whose rows are all of
/// them equals the dense step bit for bit); the other rows and their moments are untouched. Its step count t is one per
/// step, as the dense parameters'. Weight decay is added to the used rows' gradients only. Its gradient is not zeroed
/// whole: after the update the used rows of it are zeroed, which leaves it all zero when they are the only rows backward
/// wrote, so <see cref="ZeroGrad"/> skips it. <see cref="StepRows"/> takes the used rows' gradient directly, for a step
/// computed on those rows alone (the table then has no gradient at all).</para>
/// </remarks>
internal sealed class AdamOptimizer : IDisposable
{
    /// <summary>The first bytes of a saved state; anything else (e.g. TorchSharp's optimizer state) is refused.</summary>
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("RE4ADAM\0");

    private const int FormatVersion = 1;

    private readonly TorchSharp.Modules.Parameter[] _parameters;
    private readonly ParameterState[] _states;
    private readonly double _beta1, _beta2;
    private readonly int _rowSparse;   // index of the parameter updated row-sparse, or -1

    // Owned for the optimizer's lifetime: a temporary Scalar may be freed by its finalizer while libtorch reads it.
    private readonly Scalar _beta1Scalar, _beta2Scalar, _oneMinusBeta1, _oneMinusBeta2, _eps, _weightDecay;
    private bool _disposed;

    /// <summary>Adam over <paramref name="parameters"/> (torch's defaults for the rest).</summary>
    /// <param name="parameters">The parameters, in the order their state is saved; their device is the state's.</param>
    /// <param name="learningRate">lr, at least 0.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator, at least 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient (torch's Adam, not AdamW), at least 0.</param>
    /// <param name="rowSparseIndex">The index in <paramref name="parameters"/> of a 2-d table updated row-sparse (see the
    /// remarks), or -1 for none.</param>
    public AdamOptimizer(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, int rowSparseIndex = -1)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be at least 0.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be at least 0.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "The weight decay must be at least 0.");
        _parameters = parameters.ToArray();
        if (rowSparseIndex < -1 || rowSparseIndex >= _parameters.Length)
            throw new ArgumentOutOfRangeException(nameof(rowSparseIndex), rowSparseIndex, $"rowSparseIndex must be -1 or a parameter index below {_parameters.Length}.");
        if (rowSparseIndex >= 0 && _parameters[rowSparseIndex].dim() != 2)
            throw new ArgumentException($"The row-sparse parameter must be a 2-d table; parameter {rowSparseIndex} has {_parameters[rowSparseIndex].dim()} dimensions.", nameof(rowSparseIndex));
        _rowSparse = rowSparseIndex;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        _beta1 = beta1;
        _beta2 = beta2;
        _beta1Scalar = beta1.ToScalar();
        _beta2Scalar = beta2.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _eps = eps.ToScalar();
        _weightDecay = weightDecay.ToScalar();
        _states = new ParameterState[_parameters.Length];
        using var noGrad = no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            // Both moments have the parameter's shape, dtype and device; detached from any dispose scope the caller has
            // open, since they live as long as the optimizer.
            var p = _parameters[i];
            _states[i] = new ParameterState(zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
        }
    }

    /// <summary>The learning rate.</summary>
    public double LearningRate { get; }

    /// <summary>The L2 penalty added to gradients.</summary>
    public double WeightDecay { get; }

    /// <summary>The parameters, in the order of their saved state.</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> Parameters => _parameters;

    /// <summary>Whether a parameter is updated row-sparse (<see cref="Step(Tensor?)"/> then needs the rows used).</summary>
    public bool HasRowSparse => _rowSparse >= 0;

    /// <summary>How many updates parameter <paramref name="index"/> has had (its bias-correction step t).</summary>
    public long StepsOf(int index) => _states[index].Step;

    /// <summary>Parameter <paramref name="index"/>'s moments themselves (not copies), for tests.</summary>
    internal (Tensor ExpAvg, Tensor ExpAvgSq) MomentsOf(int index) => (_states[index].ExpAvg, _states[index].ExpAvgSq);

    /// <summary>Zeroes every defined gradient in place (TorchSharp 0.107's <c>zero_grad()</c>: gradients stay defined,
    /// so a parameter that got a gradient once is updated every step after, as with the optimizer this replaces).</summary>
    public void ZeroGrad()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();   // the gradient handles read here, and what zero_() returns
        for (var i = 0; i < _parameters.Length; i++)
        {
            // The row-sparse table's gradient was zeroed row by row after its last update (see the remarks).
            if (i == _rowSparse) continue;
            var grad = _parameters[i].grad;
            grad?.zero_();
        }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    /// <param name="rows">With a row-sparse parameter: the rows of it this step used, int64 ids on its device, each once
    /// (any order; rows outside them keep their weights and moments, and their gradient is ignored). Null otherwise.</param>
    public void Step(Tensor? rows = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_rowSparse >= 0 && rows is null) throw new ArgumentNullException(nameof(rows), "The optimizer has a row-sparse parameter: give the rows the step used.");
        if (_rowSparse < 0 && rows is not null) throw new ArgumentException("The optimizer has no row-sparse parameter.", nameof(rows));
        Step(rows, null, gradientsGiven: false);
    }

    /// <summary>One update of every parameter that has a gradient, the row-sparse one's gradient given for its used rows
    /// only (the trainer computed the step on those rows gathered into a table of their own, so the parameter itself has
    /// no gradient). The same arithmetic as <see cref="Step(Tensor?)"/> with a gradient whose other rows are zero.</summary>
    /// <param name="rows">The rows used, int64 ids on the parameter's device, each once, <c>[U]</c>.</param>
    /// <param name="rowGradients">Their gradients, <c>[U, d]</c> in the order of <paramref name="rows"/>; null when the
    /// loss did not reach them (the parameter is then skipped, its step count included, as torch skips a parameter
    /// without a gradient).</param>
    public void StepRows(Tensor rows, Tensor? rowGradients)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(rows);
        if (_rowSparse < 0) throw new InvalidOperationException("The optimizer has no row-sparse parameter.");
        if (rowGradients is not null && (rowGradients.dim() != 2 || rowGradients.shape[0] != rows.shape[0] || rowGradients.shape[1] != _parameters[_rowSparse].shape[1]))
            throw new ArgumentException($"The row gradients must be [{rows.shape[0]}, {_parameters[_rowSparse].shape[1]}]; got [{string.Join(", ", rowGradients.shape)}].", nameof(rowGradients));
        Step(rows, rowGradients, gradientsGiven: true);
    }

    /// <param name="rows">The row-sparse parameter's used rows, or null without one.</param>
    /// <param name="rowGradients">The used rows' gradient when <paramref name="gradientsGiven"/> (null: none this step).</param>
    /// <param name="gradientsGiven">Whether the row-sparse parameter's gradient is <paramref name="rowGradients"/> rather
    /// than its own <c>.grad</c>.</param>
    private void Step(Tensor? rows, Tensor? rowGradients, bool gradientsGiven)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();   // gradient handles, the decayed gradients and the denominators
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var own = i == _rowSparse && gradientsGiven;
            var grad = own ? rowGradients : p.grad;
            if (grad is null) continue;
            var state = _states[i];
            state.Step++;
            var biasCorrection1 = 1 - Math.Pow(_beta1, state.Step);
            var biasCorrection2 = 1 - Math.Pow(_beta2, state.Step);
            using var biasCorrection2Sqrt = Math.Sqrt(biasCorrection2).ToScalar();
            using var negativeStepSize = (-(LearningRate / biasCorrection1)).ToScalar();

            if (i == _rowSparse)
            {
                UpdateRows(p, own ? grad : grad.index_select(0, rows!), state, rows!, biasCorrection2Sqrt, negativeStepSize);
                // The used rows of the parameter's own gradient are zeroed for the next backward (see the remarks).
                if (!own) grad.index_fill_(0, rows!, TorchScalars.Zero);
                continue;
            }

            if (UseKernel && KernelTakes(p, grad) && p.is_contiguous() && grad.is_contiguous() && grad.numel() == p.numel()
                && state.ExpAvg.is_contiguous() && state.ExpAvgSq.is_contiguous())
            {
                UpdateWithKernel(p, grad, state, Math.Sqrt(biasCorrection2), -(LearningRate / biasCorrection1));
                continue;
            }

            // A new tensor, as torch does: the parameter's .grad itself is left as backward wrote it.
            if (WeightDecay != 0) grad = grad.add(p, _weightDecay);
            state.ExpAvg.mul_(_beta1Scalar).add_(grad, _oneMinusBeta1);
            state.ExpAvgSq.mul_(_beta2Scalar).addcmul_(grad, grad, _oneMinusBeta2);
            var denominator = state.ExpAvgSq.sqrt().div_(biasCorrection2Sqrt).add_(_eps, TorchScalars.One);   // p's shape
            p.addcdiv_(state.ExpAvg, denominator, negativeStepSize);
        }
    }

    /// <summary>Whether <see cref="AdamKernel"/> can update this parameter: CPU float32 (gradient too) of at most 2 GiB (its
    /// memory is reached through a span), on a machine with AVX-512. Other parameters get libtorch's operations. The dense
    /// step also needs everything contiguous; the row-sparse one gathers contiguous rows.</summary>
    private static bool KernelTakes(Tensor p, Tensor grad) =>
        AdamKernel.Vectorised && p.device_type == DeviceType.CPU && p.dtype == ScalarType.Float32 && p.numel() <= int.MaxValue / sizeof(float)
        && grad.device_type == DeviceType.CPU && grad.dtype == ScalarType.Float32;

    /// <summary>The dense update of <see cref="Step(Tensor?, Tensor?, bool)"/> by <see cref="AdamKernel"/>, its scalars
    /// rounded to float as libtorch rounds them.</summary>
    private unsafe void UpdateWithKernel(Tensor p, Tensor grad, ParameterState state, double biasCorrection2Sqrt, double negativeStepSize) =>
        AdamKernel.Update(ManagedLogits.Data(p), ManagedLogits.Data(grad), ManagedLogits.Data(state.ExpAvg), ManagedLogits.Data(state.ExpAvgSq), p.numel(),
            (float)_beta1, (float)(1 - _beta1), (float)_beta2, (float)(1 - _beta2), (float)biasCorrection2Sqrt, (float)_eps.ToDouble(),
            (float)negativeStepSize, (float)WeightDecay, torch.get_num_threads());

    /// <summary>Whether the dense update of CPU float32 parameters runs in <see cref="AdamKernel"/> (the default) rather
    /// than as libtorch's eight operations (the same up to the last bits of a square root; see the kernel). Tests switch it
    /// off to compare.</summary>
    internal bool UseKernel { get; set; } = true;

    /// <summary>The row-sparse update: the dense step's operations, in its order, on the used rows gathered into small
    /// tensors, which are then written back. <paramref name="g"/> is the used rows' gradient, <c>[U, d]</c>.</summary>
    private void UpdateRows(Tensor p, Tensor g, ParameterState state, Tensor rows, Scalar biasCorrection2Sqrt, Scalar negativeStepSize)
    {
        if (UseKernel && KernelTakes(p, g))
        {
            // The kernel on the used rows gathered into tensors of their own, as the dense step runs it on the whole table.
            var gathered = p.index_select(0, rows);                // [U, d]
            var mRows = state.ExpAvg.index_select(0, rows);        // [U, d]
            var vRows = state.ExpAvgSq.index_select(0, rows);      // [U, d]
            UpdateWithKernel(gathered, g.contiguous(), new ParameterState(mRows, vRows), biasCorrection2Sqrt.ToDouble(), negativeStepSize.ToDouble());
            state.ExpAvg.index_copy_(0, rows, mRows);
            state.ExpAvgSq.index_copy_(0, rows, vRows);
            p.index_copy_(0, rows, gathered);
            return;
        }

        if (WeightDecay != 0) g = g.add(p.index_select(0, rows), _weightDecay);
        var m = state.ExpAvg.index_select(0, rows).mul_(_beta1Scalar).add_(g, _oneMinusBeta1);                // [U, d]
        var v = state.ExpAvgSq.index_select(0, rows).mul_(_beta2Scalar).addcmul_(g, g, _oneMinusBeta2);       // [U, d]
        var denominator = v.sqrt().div_(biasCorrection2Sqrt).add_(_eps, TorchScalars.One);                    // [U, d]
        var updated = p.index_select(0, rows).addcdiv_(m, denominator, negativeStepSize);                     // [U, d]
        state.ExpAvg.index_copy_(0, rows, m);
        state.ExpAvgSq.index_copy_(0, rows, v);
        p.index_copy_(0, rows, updated);
    }

    /// <summary>Writes every parameter's step count and moments to <paramref name="path"/> (in parameter order, with their
    /// shapes, so that <see cref="Load"/> can check them first).</summary>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(_parameters.Length);
        foreach (var (p, state) in _parameters.Zip(_states))
        {
            writer.Write(state.Step);
            writer.Write(p.shape.Length);
            foreach (var size in p.shape) writer.Write(size);
        }

        using var scope = NewDisposeScope();
        foreach (var state in _states)
        {
            state.ExpAvg.Save(writer);
            state.ExpAvgSq.Save(writer);
        }
    }

    /// <summary>Replaces the state with the one <see cref="Save"/> wrote to <paramref name="path"/>. The file is read and
    /// checked whole before anything changes.</summary>
    /// <exception cref="InvalidDataException">Not a state of this format, truncated, or for other parameters (count or
    /// shapes differ); the message names the file.</exception>
    public void Load(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var scope = NewDisposeScope();   // the loaded CPU copies
        var steps = new long[_parameters.Length];
        var moments = new Tensor[_parameters.Length * 2];
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream);
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException($"{path} is not an Adam state written by Re4.Recommenders (a resume folder from before 0.1's own Adam cannot be resumed).");
            var version = reader.ReadInt32();
            if (version != FormatVersion) throw new InvalidDataException($"{path} has Adam state format {version}; this version reads {FormatVersion}.");
            var count = reader.ReadInt32();
            if (count != _parameters.Length)
                throw new InvalidDataException($"{path} holds the Adam state of {count} parameters; the optimizer has {_parameters.Length}.");
            for (var i = 0; i < count; i++)
            {
                steps[i] = reader.ReadInt64();
                var rank = reader.ReadInt32();
                if (rank is < 0 or > 64) throw new InvalidDataException($"{path} is damaged (parameter {i} has rank {rank}).");
                var shape = new long[rank];
                for (var d = 0; d < rank; d++) shape[d] = reader.ReadInt64();
                if (steps[i] < 0) throw new InvalidDataException($"{path} is damaged (parameter {i} has step {steps[i]}).");
                if (!shape.AsSpan().SequenceEqual(_parameters[i].shape))
                    throw new InvalidDataException($"{path} holds parameter {i} with shape [{string.Join(", ", shape)}]; the optimizer's has [{string.Join(", ", _parameters[i].shape)}].");
            }

            for (var i = 0; i < moments.Length; i++)
            {
                var loaded = TensorExtensionMethods.Load(reader, skip: false);
                var expected = i % 2 == 0 ? _states[i / 2].ExpAvg : _states[i / 2].ExpAvgSq;
                if (!loaded.shape.AsSpan().SequenceEqual(expected.shape) || loaded.dtype != expected.dtype)
                    throw new InvalidDataException($"{path} is damaged (a moment of parameter {i / 2} does not match its shape or type).");
                moments[i] = loaded;
            }

            if (stream.Position != stream.Length) throw new InvalidDataException($"{path} has data after the Adam state.");
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated.", e);
        }

        using var noGrad = no_grad();
        for (var i = 0; i < _states.Length; i++)
        {
            _states[i].Step = steps[i];
            _states[i].ExpAvg.copy_(moments[2 * i]);
            _states[i].ExpAvgSq.copy_(moments[2 * i + 1]);
        }
    }

    /// <summary>Frees the moments (not the parameters, which their modules own).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var state in _states)
        {
            state.ExpAvg.Dispose();
            state.ExpAvgSq.Dispose();
        }

        foreach (var s in new[] { _beta1Scalar, _beta2Scalar, _oneMinusBeta1, _oneMinusBeta2, _eps, _weightDecay }) s.Dispose();
    }

    /// <summary>One parameter's step count and moments (each of the parameter's shape).</summary>
    private sealed class ParameterState(Tensor expAvg, Tensor expAvgSq)
    {
        public long Step { get; set; }
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;
    }
}
