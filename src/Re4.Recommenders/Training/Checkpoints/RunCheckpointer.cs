using System.Text.Json;
using Re4.Recommenders.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The one type that writes and reads a run folder (<see cref="TrainerOptions.CheckpointDirectory"/>):
/// <c>model/</c>, the selected model (<see cref="ModelCheckpoint"/>), and <c>resume/</c>, the latest state:
/// model weights (<c>model.bin</c>), the objective's module weights (<c>flows.bin</c>), Adam's state (<c>adam.bin</c>),
/// torch's generator (<c>torch_rng.bin</c>) and <c>trainer.json</c> (<see cref="ResumeState"/>: counters, the negative
/// and training samplers' states, history, model configuration, trainer options and the data's fingerprint). Each folder
/// is written crash-consistently with a checksum manifest (<see cref="AtomicDirectoryWriter"/>, <see cref="FolderManifest"/>);
/// reading verifies the manifest and turns every damaged or truncated file into an <see cref="InvalidDataException"/>
/// naming it.
/// </summary>
/// <remarks>What it stores does not grow with the step count (but for the validation history), so resuming at any step
/// costs the same. Not thread-safe.</remarks>
internal sealed class RunCheckpointer
{
    internal const string StateFile = "trainer.json";
    private const string OptimizerFile = "adam.bin";
    private const string RandomFile = "torch_rng.bin";
    private const string ObjectiveFile = "flows.bin";

    /// <summary>Works on the run folder <paramref name="directory"/>.</summary>
    public RunCheckpointer(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
    }

    /// <summary>The run folder.</summary>
    public string Directory { get; }

    private string ModelPath => Path.Combine(Directory, MultiInterestTrainer.ModelFolder);

    private string ResumePath => Path.Combine(Directory, MultiInterestTrainer.ResumeFolder);

    /// <summary>Writes the selected model with its item id map into <c>model/</c>.</summary>
    public void SaveModel(MultiInterestModel model, Data.IdMap originalItemIds) => ModelCheckpoint.Save(ModelPath, model, originalItemIds);

    /// <summary>Writes <c>resume/</c> atomically: the tensors' files, then <paramref name="state"/>.</summary>
    public void SaveResume(MultiInterestModel model, nn.Module objectiveModules, AdamOptimizer optimizer, ResumeState state)
    {
        AtomicDirectoryWriter.Write(ResumePath, temp =>
        {
            model.save(Path.Combine(temp, ModelCheckpoint.WeightsFile));
            objectiveModules.save(Path.Combine(temp, ObjectiveFile));
            optimizer.Save(Path.Combine(temp, OptimizerFile));
            using (var rng = get_rng_state()) File.WriteAllBytes(Path.Combine(temp, RandomFile), rng.data<byte>().ToArray());
            File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, ModelCheckpoint.Json));
        });
    }

    /// <summary>Reads and checks <c>resume/trainer.json</c>, before anything is built from it.</summary>
    /// <exception cref="InvalidDataException">It is missing, damaged, incomplete, or from a format that cannot be resumed.</exception>
    public ResumeState ReadState()
    {
        // What a crash in the middle of a save left: the previous folder renamed back, temporary copies deleted.
        AtomicDirectoryWriter.Recover(ModelPath);
        AtomicDirectoryWriter.Recover(ResumePath);
        var statePath = Path.Combine(ResumePath, StateFile);
        if (!File.Exists(statePath))
            throw new InvalidDataException($"{Directory} holds no resume state ({MultiInterestTrainer.ResumeFolder}/{StateFile} is missing).");
        FolderManifest.Verify(ResumePath);
        ResumeState state;
        try
        {
            state = JsonSerializer.Deserialize<ResumeState>(File.ReadAllText(statePath), ModelCheckpoint.Json) ?? throw new InvalidDataException($"{statePath} is empty.");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{statePath} is damaged: {e.Message}", e);
        }

        // Folders written before the sampler's state was stored would need every batch replayed: not supported.
        if (state.Sampler is null)
            throw new InvalidDataException($"{statePath} was written by an earlier version that did not store the training sampler's state; it cannot be resumed: start the run again.");
        if (state.Config is null || state.Options is null || state.NegativeRandom is null)
            throw new InvalidDataException($"{statePath} is incomplete.");
        if (!File.Exists(Path.Combine(ResumePath, OptimizerFile)))
            throw new InvalidDataException($"{Directory} holds no optimizer state ({MultiInterestTrainer.ResumeFolder}/{OptimizerFile} is missing).");
        foreach (var file in new[] { ModelCheckpoint.WeightsFile, ObjectiveFile, RandomFile })
        {
            if (!File.Exists(Path.Combine(ResumePath, file)))
                throw new InvalidDataException($"{Directory} holds an incomplete resume state ({MultiInterestTrainer.ResumeFolder}/{file} is missing).");
        }

        if (File.Exists(Path.Combine(ModelPath, ModelCheckpoint.ConfigFile))) FolderManifest.Verify(ModelPath);
        return state;
    }

    /// <summary>Checks that the run was trained on the data of <paramref name="split"/> (when its state records them).</summary>
    /// <exception cref="InvalidDataException">The data differ; the message says how.</exception>
    public void CheckData(ResumeState state, Data.DataSplit split)
    {
        if (state.Data is not { } saved) return;
        if (saved.Difference(DataFingerprint.Of(split)) is { } difference)
        {
            var e = new InvalidDataException($"these are not the data the run in {Directory} was trained on: {difference}. Resume with the run's data.");
            e.Data[MultiInterestTrainer.DataMismatchKey] = true;
            throw e;
        }
    }

    /// <summary>Loads the tensors of <c>resume/</c> into the trainer's model, objective modules and optimizer.</summary>
    public void LoadResume(MultiInterestModel model, nn.Module objectiveModules, AdamOptimizer optimizer)
    {
        var weights = Path.Combine(ResumePath, ModelCheckpoint.WeightsFile);
        Read(weights, () => model.LoadWeights(weights));
        if (WeightChecks.FirstNonFinite(model) is { } bad)
            throw new InvalidDataException($"{weights}: the weight '{bad}' holds NaN or infinite values; the state cannot be resumed.");
        var objective = Path.Combine(ResumePath, ObjectiveFile);
        Read(objective, () => objectiveModules.load(objective));
        optimizer.Load(Path.Combine(ResumePath, OptimizerFile));
    }

    /// <summary>Runs a TorchSharp read of <paramref name="path"/>, turning what damaged bytes make it throw into an
    /// <see cref="InvalidDataException"/> naming the file (one line for the CLI, never a stack trace).</summary>
    private static void Read(string path, Action read)
    {
        try
        {
            read();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated.", e);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path} is damaged: {e.Message}", e);
        }
    }

    /// <summary>Restores torch's generator to its state at the last save. Call it last: anything that draws from the
    /// generator afterwards (e.g. building a model) would shift the resumed run's draws.</summary>
    public void LoadTorchRandom()
    {
        var path = Path.Combine(ResumePath, RandomFile);
        var bytes = File.ReadAllBytes(path);
        // libtorch aborts the process (c10::Error) on a state of the wrong size: check it here, against the size of
        // the generator's current state.
        long expected;
        using (var current = get_rng_state()) expected = current.NumberOfElements;
        if (bytes.Length != expected)
            throw new InvalidDataException($"{path} has {bytes.Length} bytes; torch's generator state has {expected}: the file is truncated or damaged.");
        using var rng = tensor(bytes, dtype: ScalarType.Byte);
        set_rng_state(rng);
    }

    /// <summary>Detached copies of the weights of the model in <c>model/</c>, on <paramref name="device"/>, or null when
    /// none has been saved.</summary>
    public Dictionary<string, Tensor>? LoadSelectedState(ModelConfig config, Device device)
    {
        if (!File.Exists(Path.Combine(ModelPath, ModelCheckpoint.ConfigFile))) return null;
        using var best = new MultiInterestModel(config);
        var weights = Path.Combine(ModelPath, ModelCheckpoint.WeightsFile);
        Read(weights, () => best.LoadWeights(weights));
        if (WeightChecks.FirstNonFinite(best) is { } bad)
            throw new InvalidDataException($"{weights}: the weight '{bad}' holds NaN or infinite values; the run cannot be resumed.");
        best.to(device);
        using var noGrad = no_grad();
        return ModuleState.Clone(best);
    }
}
