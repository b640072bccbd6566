using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training.Runs;

/// <summary>Issue 11, items 4 and 7: a checkpoint save crashed at any of its steps (through the writer's
/// <see cref="IFileSystemSteps"/> seam, which leaves the files as a kill would) leaves the old or the new folder, complete;
/// leftovers are recovered or removed; and a run killed and resumed again and again ends exactly as an uninterrupted one.</summary>
public sealed class CrashConsistencyTests
{
    /// <summary>Counts the steps of the saves it sees and throws <see cref="SimulatedCrashException"/> at the
    /// <paramref name="crashAt"/>-th (1-based; 0 never).</summary>
    private sealed class CrashAt(int crashAt) : IFileSystemSteps
    {
        public int Count { get; private set; }

        public List<SaveStep> Seen { get; } = new();

        public void Reached(SaveStep step, string path)
        {
            Count++;
            Seen.Add(step);
            if (Count == crashAt) throw new SimulatedCrashException(step, path);
        }
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private static T WithSteps<T>(IFileSystemSteps steps, Func<T> action)
    {
        AtomicDirectoryWriter.Steps.Value = steps;
        try
        {
            return action();
        }
        finally
        {
            AtomicDirectoryWriter.Steps.Value = null;
        }
    }

    private static MultiInterestModel Model(int seed)
    {
        manual_seed(seed);
        return new MultiInterestModel(TinyRun.Config());
    }

    private static long[] Ids(int n) => Enumerable.Range(0, n + 1).Select(i => 100L + i).ToArray();

    /// <summary>Entries of <paramref name="parent"/> other than <paramref name="kept"/>: what a save left behind.</summary>
    private static string[] Leftovers(string parent, params string[] kept) =>
        Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName).Where(n => !kept.Contains(n)).ToArray()!;

    [Fact]
    public void Save_CrashAfterEveryStep_LeavesTheOldOrTheNewModel_AndRecoveryCleansUp()
    {
        using var oldModel = Model(1);
        using var newModel = Model(2);
        var oldWeights = oldModel.ItemEmbeddings.data<float>().ToArray();
        var newWeights = newModel.ItemEmbeddings.data<float>().ToArray();
        var ids = Ids(oldModel.Config.ItemCount);
        var recorder = new CrashAt(0);
        using (var probe = new TempDir())
        {
            ModelCheckpoint.Save(Path.Combine(probe.Path, "model"), oldModel, ids);
            WithSteps(recorder, () => { ModelCheckpoint.Save(Path.Combine(probe.Path, "model"), newModel, ids); return 0; });
        }

        // Recovered, TempCreated, FilesWritten, 3 files synced, ManifestWritten, TempSynced, OldMovedAside, NewMovedIn, OldDeleted.
        recorder.Seen.Should().HaveCount(11);
        var movedIn = recorder.Seen.IndexOf(SaveStep.NewMovedIn) + 1;
        for (var k = 1; k <= recorder.Seen.Count; k++)
        {
            using var dir = new TempDir();
            var folder = Path.Combine(dir.Path, "model");
            ModelCheckpoint.Save(folder, oldModel, ids);

            var crash = () => WithSteps(new CrashAt(k), () => { ModelCheckpoint.Save(folder, newModel, ids); return 0; });

            crash.Should().Throw<SimulatedCrashException>();
            var expected = k >= movedIn ? newWeights : oldWeights;
            using (var loaded = ModelCheckpoint.Load(folder))   // read-only: from .model.old when the crash left only that
                loaded.Model.ItemEmbeddings.data<float>().ToArray().Should().Equal(expected, $"a crash after step {k} ({recorder.Seen[k - 1]})");
            AtomicDirectoryWriter.Recover(folder);
            Leftovers(dir.Path, "model").Should().BeEmpty($"recovery after step {k} removes every temporary or old copy");
            using (var loaded = ModelCheckpoint.Load(folder))
                loaded.Model.ItemEmbeddings.data<float>().ToArray().Should().Equal(expected);
        }
    }

    private static (TrainingResult Result, byte[] Model) Uninterrupted(string run, long maxSteps)
    {
        using var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), TinyRun.Options(run, maxSteps));
        var result = trainer.Fit();
        return (result, File.ReadAllBytes(Path.Combine(run, MultiInterestTrainer.ModelFolder, ModelCheckpoint.WeightsFile)));
    }

    private static void ShouldMatch(TrainingResult result, string run, (TrainingResult Result, byte[] Model) expected, string because)
    {
        result.Steps.Should().Be(expected.Result.Steps, because);
        result.BestStep.Should().Be(expected.Result.BestStep, because);
        result.Test.Should().Equal(expected.Result.Test!, because);
        result.History.Select(h => h.Loss).Should().Equal(expected.Result.History.Select(h => h.Loss), because);
        File.ReadAllBytes(Path.Combine(run, MultiInterestTrainer.ModelFolder, ModelCheckpoint.WeightsFile)).Should().Equal(expected.Model, because);
        Leftovers(run, MultiInterestTrainer.ModelFolder, MultiInterestTrainer.ResumeFolder).Should().BeEmpty(because);
    }

    [Fact]
    public void Resume_AfterACrashAtEveryStepOfAValidationsSaves_EndsAsTheUninterruptedRun()
    {
        using var dir = new TempDir();
        var expected = Uninterrupted(Path.Combine(dir.Path, "expected"), maxSteps: 15);
        // The save steps of the validation at step 10: those after the first validation's (step 5).
        var first = new CrashAt(0);
        var both = new CrashAt(0);
        WithSteps(first, () => Uninterrupted(Path.Combine(dir.Path, "count5"), maxSteps: 5));
        WithSteps(both, () => Uninterrupted(Path.Combine(dir.Path, "count10"), maxSteps: 10));
        both.Count.Should().BeGreaterThan(first.Count + 20, "a validation saves model/ and resume/, about a dozen steps each");

        for (var k = first.Count + 1; k <= both.Count; k++)
        {
            var run = Path.Combine(dir.Path, $"crash{k}");
            var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), TinyRun.Options(run, maxSteps: 10));
            var crashAt = k;
            var crash = () => WithSteps(new CrashAt(crashAt), () => trainer.Fit());
            crash.Should().Throw<SimulatedCrashException>();
            trainer.Dispose();

            using var resumed = MultiInterestTrainer.Resume(run, TinyRun.Split.Value, maxSteps: 15);
            var result = resumed.Fit();

            ShouldMatch(result, run, expected, $"a crash after save step {k} ({both.Seen[k - 1]})");
        }
    }

    [Fact]
    public void CrashLoop_RandomCancelsAndSaveCrashes_EndsAsTheUninterruptedRun()
    {
        using var dir = new TempDir();
        const long MaxSteps = 40;
        var expected = Uninterrupted(Path.Combine(dir.Path, "expected"), MaxSteps);
        var run = Path.Combine(dir.Path, "run");
        var random = new Random(11);
        var faults = 0;
        TrainingResult? result = null;
        for (var attempt = 0; result is null; attempt++)
        {
            attempt.Should().BeLessThan(40, "the loop ends");
            var trainer = Directory.Exists(Path.Combine(run, MultiInterestTrainer.ResumeFolder))
                ? MultiInterestTrainer.Resume(run, TinyRun.Split.Value)
                : new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), TinyRun.Options(run, MaxSteps));
            using var cancel = new CancellationTokenSource();
            // Up to 14 faults: half cancel between two steps, half crash inside a save; then the run is left to finish.
            var fault = faults < 14 ? random.Next(2) : -1;
            var cancelAt = trainer.Step + random.Next(1, 12);
            var progress = new SyncProgress(p =>
            {
                if (fault == 0 && p.Step == cancelAt) cancel.Cancel();
            });
            try
            {
                result = WithSteps(new CrashAt(fault == 1 ? random.Next(1, 30) : 0), () => trainer.Fit(progress, cancel.Token));
            }
            catch (Exception e) when (e is OperationCanceledException or SimulatedCrashException)
            {
                faults++;
            }
            finally
            {
                trainer.Dispose();
            }
        }

        faults.Should().BeGreaterThanOrEqualTo(10);
        ShouldMatch(result, run, expected, $"after {faults} faults");
    }
}
