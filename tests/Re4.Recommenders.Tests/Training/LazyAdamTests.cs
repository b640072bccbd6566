using Re4.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

public sealed class LazyAdamTests
{
    private const int Rows = 7, Dim = 3;
    private const double Lr = 0.05, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;

    // Kept alive: a temporary Scalar may be freed by a collection during the native call.
    private static readonly Scalar Two = 2.ToScalar(), MinusOne = (-1).ToScalar(), One = 1.ToScalar();

    /// <summary>A seeded table [7, 3] and a dense vector [2] (a second parameter, updated densely).</summary>
    private static (Parameter Table, Parameter Dense) NewParameters()
    {
        manual_seed(3);
        return (nn.Parameter(randn(Rows, Dim)), nn.Parameter(randn(2)));
    }

    /// <summary>Backpropagates sum over <paramref name="rows"/> of (w_r - c_r)^2 * (r + 1), plus |dense - 1|^2: a
    /// gradient that depends on the weights and is non-zero on the given rows only.</summary>
    private static void Backward(Parameter table, Parameter dense, long[] rows)
    {
        using var scope = NewDisposeScope();
        var ids = tensor(rows);                                                            // [U]
        var target = arange(rows.Length * Dim, dtype: ScalarType.Float32).reshape(rows.Length, Dim).div(10.ToScalar());   // [U, d]
        var weight = tensor(rows.Select(r => (float)(r + 1)).ToArray()).unsqueeze(1);     // [U, 1]
        var loss = table.index_select(0, ids).add(target, MinusOne).pow(Two).mul(weight).sum()
            .add(dense.add(One, MinusOne).pow(Two).sum(), One);
        loss.backward();
    }

    private static double[] Copy(Tensor t) => t.detach().data<float>().ToArray().Select(x => (double)x).ToArray();

    [Fact]
    public void Step_UpdatesOnlyTheGivenRows_AsANaivePerRowAdam()
    {
        var (table, dense) = NewParameters();
        const double decay = 0.1;
        using var adam = new AdamOptimizer([table, dense], Lr, Beta1, Beta2, Eps, decay, rowSparseIndex: 0);
        long[][] steps = [[1, 4], [4, 6, 0], [2], [1, 2, 4]];

        // The naive reference: per row, double precision, t = the optimizer's step count.
        var w = Copy(table);
        var m = new double[Rows * Dim];
        var v = new double[Rows * Dim];
        for (var t = 1; t <= steps.Length; t++)
        {
            var rows = steps[t - 1];
            adam.ZeroGrad();
            Backward(table, dense, rows);
            var grad = Copy(table.grad!);
            var before = table.detach().data<float>().ToArray();
            var (expAvg, expAvgSq) = adam.MomentsOf(0);
            var mBefore = expAvg.data<float>().ToArray();
            var vBefore = expAvgSq.data<float>().ToArray();

            adam.Step(tensor(rows));

            foreach (var r in rows)
            {
                for (var j = 0; j < Dim; j++)
                {
                    var k = (int)r * Dim + j;
                    var g = grad[k] + decay * w[k];
                    m[k] = Beta1 * m[k] + (1 - Beta1) * g;
                    v[k] = Beta2 * v[k] + (1 - Beta2) * g * g;
                    w[k] -= Lr / (1 - Math.Pow(Beta1, t)) * m[k] / (Math.Sqrt(v[k]) / Math.Sqrt(1 - Math.Pow(Beta2, t)) + Eps);
                }
            }

            var after = table.detach().data<float>().ToArray();
            var mAfter = expAvg.data<float>().ToArray();
            var vAfter = expAvgSq.data<float>().ToArray();
            for (var k = 0; k < Rows * Dim; k++)
            {
                if (rows.Contains(k / Dim))
                {
                    ((double)after[k]).Should().BeApproximately(w[k], 1e-5, $"weight {k} at step {t}");
                    ((double)mAfter[k]).Should().BeApproximately(m[k], 1e-5, $"first moment {k} at step {t}");
                    ((double)vAfter[k]).Should().BeApproximately(v[k], 1e-6, $"second moment {k} at step {t}");
                }
                else
                {
                    after[k].Should().Be(before[k], $"row {k / Dim} was not used at step {t}");
                    mAfter[k].Should().Be(mBefore[k]);
                    vAfter[k].Should().Be(vBefore[k]);
                }
            }

            // The used rows' gradient is zeroed for the next backward; nothing else was written.
            table.grad!.abs().sum().item<float>().Should().Be(0);
        }

        adam.StepsOf(0).Should().Be(steps.Length);
        adam.StepsOf(1).Should().Be(steps.Length);
        table.Dispose();
        dense.Dispose();
    }

    [Fact]
    public void Step_EqualsTheDenseStepBitForBit_WhenEveryRowIsUsed()
    {
        var (denseTable, denseVector) = NewParameters();
        var (lazyTable, lazyVector) = NewParameters();
        using var dense = new AdamOptimizer([denseTable, denseVector], Lr, weightDecay: 0.01);
        using var lazy = new AdamOptimizer([lazyTable, lazyVector], Lr, weightDecay: 0.01, rowSparseIndex: 0);
        var all = Enumerable.Range(0, Rows).Select(r => (long)r).ToArray();
        var shuffled = all.Reverse().ToArray();   // the order of the rows given does not matter

        for (var step = 0; step < 5; step++)
        {
            dense.ZeroGrad();
            Backward(denseTable, denseVector, all);
            dense.Step();
            lazy.ZeroGrad();
            Backward(lazyTable, lazyVector, all);
            lazy.Step(tensor(shuffled));
        }

        lazyTable.detach().data<float>().ToArray().Should().Equal(denseTable.detach().data<float>().ToArray());
        lazyVector.detach().data<float>().ToArray().Should().Equal(denseVector.detach().data<float>().ToArray());
        lazy.MomentsOf(0).ExpAvgSq.data<float>().ToArray().Should().Equal(dense.MomentsOf(0).ExpAvgSq.data<float>().ToArray());
        foreach (var t in new Tensor[] { denseTable, denseVector, lazyTable, lazyVector }) t.Dispose();
    }

    [Fact]
    public void Step_DiffersFromTheDenseStep_WhenARowIsUnused()
    {
        // Dense Adam keeps moving a row after its gradient stops (its first moment); lazy Adam leaves it.
        var (denseTable, denseVector) = NewParameters();
        var (lazyTable, lazyVector) = NewParameters();
        using var dense = new AdamOptimizer([denseTable, denseVector], Lr);
        using var lazy = new AdamOptimizer([lazyTable, lazyVector], Lr, rowSparseIndex: 0);
        long[][] steps = [[0, 1, 2, 3, 4, 5, 6], [1]];
        foreach (var rows in steps)
        {
            dense.ZeroGrad();
            Backward(denseTable, denseVector, rows);
            dense.Step();
            lazy.ZeroGrad();
            Backward(lazyTable, lazyVector, rows);
            lazy.Step(tensor(rows));
        }

        lazyTable[3].data<float>().ToArray().Should().NotEqual(denseTable[3].data<float>().ToArray());
        lazyTable[1].data<float>().ToArray().Should().Equal(denseTable[1].data<float>().ToArray());
        foreach (var t in new Tensor[] { denseTable, denseVector, lazyTable, lazyVector }) t.Dispose();
    }

    [Fact]
    public void StepRows_WithTheRowsGradient_EqualsStepWithTheTablesGradient_BitForBit()
    {
        // The trainer's gathered path hands the used rows' gradient over directly; the table path reads it from .grad.
        var (tableA, vectorA) = NewParameters();
        var (tableB, vectorB) = NewParameters();
        using var a = new AdamOptimizer([tableA, vectorA], Lr, weightDecay: 0.1, rowSparseIndex: 0);
        using var b = new AdamOptimizer([tableB, vectorB], Lr, weightDecay: 0.1, rowSparseIndex: 0);
        long[][] steps = [[1, 4], [4, 6], [2], [1, 2, 4]];
        foreach (var rows in steps)
        {
            a.ZeroGrad();
            Backward(tableA, vectorA, rows);
            a.Step(tensor(rows));

            b.ZeroGrad();
            Backward(tableB, vectorB, rows);
            var ids = tensor(rows);
            var rowGradients = tableB.grad!.index_select(0, ids).clone();   // [U, d]
            tableB.grad!.zero_();
            b.StepRows(ids, rowGradients);
        }

        tableB.detach().data<float>().ToArray().Should().Equal(tableA.detach().data<float>().ToArray());
        vectorB.detach().data<float>().ToArray().Should().Equal(vectorA.detach().data<float>().ToArray());
        b.MomentsOf(0).ExpAvg.data<float>().ToArray().Should().Equal(a.MomentsOf(0).ExpAvg.data<float>().ToArray());
        b.MomentsOf(0).ExpAvgSq.data<float>().ToArray().Should().Equal(a.MomentsOf(0).ExpAvgSq.data<float>().ToArray());
        b.StepsOf(0).Should().Be(steps.Length);
        foreach (var t in new Tensor[] { tableA, vectorA, tableB, vectorB }) t.Dispose();
    }

    [Fact]
    public void StepRows_SkipsTheTable_WithoutAGradient_AndRefusesAWrongShape()
    {
        var (table, dense) = NewParameters();
        using var adam = new AdamOptimizer([table, dense], Lr, rowSparseIndex: 0);
        var before = table.detach().data<float>().ToArray();
        Backward(table, dense, [1]);
        table.grad!.zero_();

        adam.StepRows(tensor(new long[] { 1 }), null);

        table.detach().data<float>().ToArray().Should().Equal(before);
        adam.StepsOf(0).Should().Be(0, "a parameter without a gradient is skipped, its step count included");
        adam.StepsOf(1).Should().Be(1);
        var wrong = () => adam.StepRows(tensor(new long[] { 1, 2 }), zeros(2, Dim + 1));
        wrong.Should().Throw<ArgumentException>().WithParameterName("rowGradients").WithMessage("*[2, 3]*[2, 4]*");
        using var plain = new AdamOptimizer([dense], Lr);
        var none = () => plain.StepRows(tensor(new long[] { 1 }), zeros(1, Dim));
        none.Should().Throw<InvalidOperationException>();
        table.Dispose();
        dense.Dispose();
    }

    [Fact]
    public void Constructor_RefusesARowSparseIndexOutOfRange()
    {
        var (table, dense) = NewParameters();
        var act = () => new AdamOptimizer([table, dense], rowSparseIndex: 2);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("rowSparseIndex");
        var notTable = () => new AdamOptimizer([table, dense], rowSparseIndex: 1);
        notTable.Should().Throw<ArgumentException>().WithParameterName("rowSparseIndex").WithMessage("*2-d*1 dimensions*");
        table.Dispose();
        dense.Dispose();
    }

    [Fact]
    public void Step_RequiresTheRows_WithARowSparseParameter()
    {
        var (table, dense) = NewParameters();
        using var adam = new AdamOptimizer([table, dense], rowSparseIndex: 0);
        Backward(table, dense, [1]);

        var act = () => adam.Step();

        act.Should().Throw<ArgumentNullException>().WithParameterName("rows");
        table.Dispose();
        dense.Dispose();
    }
}
