using System.Diagnostics;
using System.Reflection;
using System.Reflection.Emit;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Infrastructure;

/// <summary>
/// TorchSharp 0.107's <see cref="Scalar"/> frees its native value in a finalizer. A Scalar made by an implicit conversion
/// (<c>clamp_min(1)</c>, <c>t * 0.5</c>, and <c>a + b</c> on two tensors, whose alpha = 1 TorchSharp converts itself) is
/// unreachable once its handle is read, so a GC during the native call can free it while libtorch still reads it: a
/// crash in <c>c10::Scalar::toDouble</c>, or a silently wrong constant.
/// </summary>
public sealed class ScalarLifetimeTests
{
    /// <summary>Collects and runs finalizers in a loop on another thread for as long as it lives.</summary>
    private sealed class GcPressure : IDisposable
    {
        private volatile bool _stop;
        private long _collections;
        private readonly Thread _thread;

        public GcPressure()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref _collections);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public long Collections => Interlocked.Read(ref _collections);

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }

    private const int D = 8, K = 3, L = 6;

    /// <summary>Every library code path that hands scalars to TorchSharp (extractors, flows, main losses, the trainer's
    /// Adam steps), as one flat list of floats. Deterministic on CPU: all weights come from one seed, MIND runs in eval mode (fixed routing seed).</summary>
    private sealed class LibraryPaths : IDisposable
    {
        private readonly List<nn.Module> _modules = [];
        private readonly List<InterestExtractor> _extractors = [];
        private readonly ReConstructFlow _construct;
        private readonly IBackwardFlow[] _flows;
        private readonly Tensor _history, _mask, _table, _targets, _negatives, _logQ, _targetLogQ, _adamStart, _adamGrad;

        public LibraryPaths()
        {
            manual_seed(2024);
            InterestExtractor[] extractors =
            [
                new MeanPoolingExtractor(D),
                new GruExtractor(D),
                new SelfAttentiveExtractor(D, K, L),
                new DynamicRoutingExtractor(D, K, L),
                new DynamicRoutingExtractor(DynamicRoutingOptions.Mind(D, K, L)),
            ];
            foreach (var e in extractors)
            {
                var module = (nn.Module)e;
                module.eval();
                _modules.Add(module);
                _extractors.Add(e);
            }

            _construct = new ReConstructFlow(D, L);
            _modules.Add(_construct);
            _flows =
            [
                new ReContrastFlow(),
                new ReContrastFlow(new ReContrastOptions { Normalization = FlowNormalization.Positives, Threshold = PositiveThreshold.Fixed, FixedThreshold = 0.2 }),
                _construct,
                new ReConstructFlow(D, L, new ReConstructOptions { Normalization = FlowNormalization.Positives }),
                new ReAttendFlow(),
                new RoutingRegularizationFlow(),
                new RoutingRegularizationFlow(new RoutingRegularizationOptions { Centering = RoutingCentering.ValidItems, Reduction = RoutingBatchReduction.Mean }),
            ];
            _modules.Add((nn.Module)_flows[3]);
            _history = randn(4, L, D);
            _mask = tensor(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 }, [4, L]);
            _history.mul_(_mask.unsqueeze(-1));
            _table = randn(11, D);
            _targets = tensor(new long[] { 3, 7, 1, 10 });
            _negatives = tensor(new long[] { 2, 7, 5, 9, 4 });
            _logQ = randn(5);
            _targetLogQ = randn(4);
            _adamStart = randn(4, D);
            _adamGrad = randn(4, D);
        }

        /// <summary>Five steps of the trainer's Adam (with weight decay) from a fixed start and gradient: [4 * D].</summary>
        private Tensor AdamSteps()
        {
            using var p = nn.Parameter(_adamStart.clone());   // [4, D]
            using var adam = new AdamOptimizer([p], 0.05, weightDecay: 0.01);
            p.grad = _adamGrad.clone();
            for (var i = 0; i < 5; i++) adam.Step();
            return p.detach().clone().flatten();
        }

        public float[] Run()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var parts = new List<Tensor>();
            foreach (var e in _extractors)
            {
                var o = e.Extract(_history, _mask);
                parts.AddRange([o.Interests, o.Attention, o.LogAttention, o.RetrievalInterests]);
                var context = new BackwardFlowContext(o.Interests, o.Attention, o.LogAttention, _history, _mask);
                foreach (var f in _flows) parts.Add(f.ComputeLoss(context));
                parts.Add(MainLoss.Full(o.RetrievalInterests, _table, _targets));
                parts.Add(MainLoss.Sampled(o.RetrievalInterests, _table, _targets, _negatives, _logQ, _targetLogQ));
                parts.Add(HardNegativeLoss.Sampled(o.RetrievalInterests, _table, _targets, _negatives, _logQ, _targetLogQ, new HardNegativeOptions { Beta = 1.5 }));
                parts.Add(HardNegativeLoss.Full(o.RetrievalInterests, _table, _targets, new HardNegativeOptions { Beta = 0.5 }));
            }

            parts.Add(AdamSteps());

            return cat(parts.Select(p => p.flatten()).ToList(), 0).data<float>().ToArray();
        }

        public void Dispose()
        {
            foreach (var m in _modules) m.Dispose();
            foreach (var t in new[] { _history, _mask, _table, _targets, _negatives, _logQ, _targetLogQ, _adamStart, _adamGrad }) t.Dispose();
        }
    }

    /// <summary>
    /// Runs the library's extractors, flows and main losses over and over while another thread collects and finalizes
    /// without pause, and requires every run to equal a run without that pressure bit for bit; a Scalar freed mid-call
    /// shows as a native error (as in c10::Scalar::toDouble) or a changed value. On the code before the fix it failed in 4
    /// of 5 tries, after 4.6 to 8.9 s. A pass is no proof: the race needs a collection to land in a window of
    /// microseconds. <see cref="Library_HandsTorchSharpNoTemporaryScalar"/> is the deterministic guard.
    /// RE4_GC_STRESS_SECONDS sets the duration (default 10).
    /// </summary>
    [Fact]
    public void LibraryPaths_GiveIdenticalResults_UnderConstantGarbageCollection()
    {
        using var paths = new LibraryPaths();
        var expected = paths.Run();
        expected.Should().OnlyContain(v => float.IsFinite(v));
        var runs = 0;
        long collections;
        var clock = Stopwatch.StartNew();
        using (var pressure = new GcPressure())
        {
            var seconds = double.Parse(Environment.GetEnvironmentVariable("RE4_GC_STRESS_SECONDS") ?? "10", System.Globalization.CultureInfo.InvariantCulture);
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds) || pressure.Collections < 50)
            {
                float[] actual;
                try
                {
                    actual = paths.Run();
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException($"Run {runs} under GC pressure ({clock.Elapsed.TotalSeconds:F1} s, {pressure.Collections} collections) failed.", e);
                }

                if (!actual.AsSpan().SequenceEqual(expected)) Assert.Fail($"Run {runs} under GC pressure differs from the reference run.");
                runs++;
            }

            collections = pressure.Collections;
        }

        runs.Should().BeGreaterThan(10);
        collections.Should().BeGreaterThan(10);
    }

    /// <summary>The library's compiled code is scanned for calls that make a Scalar nobody keeps: an implicit conversion
    /// to <see cref="Scalar"/>, or a TorchSharp method that makes one itself (a Tensor operator with a number,
    /// <c>Tensor + Tensor</c>, <c>square()</c>...). Explicit <c>ToScalar()</c> is allowed: the caller then owns it
    /// (a static field, or a <c>using</c> local). TorchSharp's own internals reached through virtual calls (such as
    /// TorchSharp's optimizers' <c>step()</c>) are out of reach of this scan, which is why the trainer uses the library's
    /// <see cref="AdamOptimizer"/> (scanned here like any other library type).</summary>
    [Fact]
    public void Library_HandsTorchSharpNoTemporaryScalar()
    {
        var findings = TemporaryScalarScan.Find(typeof(MultiInterestTrainer).Assembly).ToList();
        Assert.True(findings.Count == 0,
            "Every Scalar given to TorchSharp must outlive the native call (docs/troubleshooting.md); temporaries at:\n" + string.Join("\n", findings));
    }
}

/// <summary>Walks IL call sites of an assembly and reports those that create an unowned TorchSharp Scalar.</summary>
internal static class TemporaryScalarScan
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    /// <summary>"Type::Method -> callee" for each offending call site.</summary>
    public static IEnumerable<string> Find(Assembly assembly)
    {
        var torchSharp = typeof(Scalar).Assembly;
        var memo = new Dictionary<MethodBase, bool>();
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                foreach (var callee in Callees(method).Distinct())
                {
                    if (MakesTemporary(callee, torchSharp, memo, 0)) yield return $"{type.FullName}::{method.Name} -> {Describe(callee)}";
                }
            }
        }
    }

    private static bool MakesTemporary(MethodBase method, Assembly torchSharp, Dictionary<MethodBase, bool> memo, int depth)
    {
        if (method.DeclaringType == typeof(Scalar) && method.Name == "op_Implicit") return true;
        if (method.Module.Assembly != torchSharp || depth > 4) return false;
        if (memo.TryGetValue(method, out var known)) return known;
        memo[method] = false;   // cycles
        var result = Callees(method).Any(c => MakesTemporary(c, torchSharp, memo, depth + 1));
        memo[method] = result;
        return result;
    }

    private static string Describe(MethodBase m) =>
        $"{m.DeclaringType?.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))})";

    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArgs = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            var value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? callee = null;
                try
                {
                    callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                }
                catch (ArgumentException)
                {
                    // A generic callee in a context the resolver cannot close: not a TorchSharp scalar path.
                }

                if (callee is not null) yield return callee;
            }

            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }
}
