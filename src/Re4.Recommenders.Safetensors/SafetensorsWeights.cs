using Re4.Recommenders.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Re4.Recommenders.Safetensors;

/// <summary>
/// A model's weights as a safetensors file (through TorchSharp.PyBridge), for tools outside .NET: a PyTorch job reads
/// them with <c>safetensors.torch.load_file</c>, trains or fine-tunes (e.g. with DDP on several GPUs, which TorchSharp
/// does not offer) and writes them back with <c>save_file</c>; <see cref="Load"/> then puts them into the model.
/// </summary>
/// <remarks>
/// <para>Tensor names are the model's <c>state_dict</c> keys (<see cref="Describe"/> lists them with shapes and dtypes):
/// <c>items.weight</c>, the item table <c>[N + 1, d]</c> whose row 0 is the padding item (zeros), and the encoder's
/// tensors under <c>extractor.</c>. The file holds weights only: the architecture stays in the checkpoint's
/// <c>model.json</c>, so a file is loaded into a model built from the same configuration.</para>
/// <para>Bytes are copied as they are (little-endian float32), so save then load is bit-exact.</para>
/// </remarks>
public static class SafetensorsWeights
{
    /// <summary>The file name <c>re4 export --safetensors</c> writes.</summary>
    public const string FileName = "model.safetensors";

    /// <summary>The tensors a file for <paramref name="model"/> holds, in <c>state_dict</c> order.</summary>
    public static IReadOnlyList<WeightTensor> Describe(MultiInterestModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return model.state_dict().Select(p => new WeightTensor(p.Key, p.Value.shape, DTypeName(p.Value.dtype))).ToList();
    }

    /// <summary>Writes every tensor of <paramref name="model"/>'s <c>state_dict</c> to <paramref name="path"/>: to a
    /// temporary file beside it, flushed to disk, then renamed over it, so a reader never sees half a file.</summary>
    /// <exception cref="InvalidOperationException">A weight is NaN or infinite (such a model is never exported).</exception>
    public static void Save(MultiInterestModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var scope = NewDisposeScope();
        var state = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().cpu().contiguous());
        if (state.FirstOrDefault(p => p.Value.is_floating_point() && !isfinite(p.Value).all().item<bool>()) is { Key: { } bad })
            throw new InvalidOperationException($"The model's tensor {bad} holds a NaN or an infinity; it is not exported.");
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                TorchSharp.PyBridge.Safetensors.SaveStateDict(stream, state, leaveOpen: true);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Copies the tensors of <paramref name="path"/> into <paramref name="model"/>'s weights, after checking that
    /// the file holds exactly the model's tensors (names), each with the model's shape and dtype, all finite. Nothing is
    /// changed when a check fails.</summary>
    /// <exception cref="FileNotFoundException">No file.</exception>
    /// <exception cref="InvalidDataException">The file is not safetensors, lacks a tensor of the model or holds one it
    /// does not have, or a tensor's shape or dtype differs, or a value is NaN or infinite; the message names the file,
    /// the tensor and both values.</exception>
    public static void Load(MultiInterestModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> loaded;
        try
        {
            loaded = TorchSharp.PyBridge.Safetensors.LoadStateDict(path);
        }
        catch (Exception e) when (e is not (IOException or UnauthorizedAccessException or OutOfMemoryException))
        {
            throw new InvalidDataException($"{path} is not a readable safetensors file: {e.Message}", e);
        }

        var state = model.state_dict();
        var missing = state.Keys.Where(n => !loaded.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{path} lacks the model's tensor(s) {string.Join(", ", missing)} (a {model.Config.Encoder} model with N = {model.Config.ItemCount}, d = {model.Config.Dimension}, K = {model.Config.Interests} has {string.Join(", ", state.Keys)}).");
        var extra = loaded.Keys.Where(n => !state.ContainsKey(n)).ToList();
        if (extra.Count > 0)
            throw new InvalidDataException($"{path} holds tensor(s) {string.Join(", ", extra)} that a {model.Config.Encoder} model does not have (it has {string.Join(", ", state.Keys)}).");
        foreach (var (name, target) in state)
        {
            var source = loaded[name];
            if (!source.shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"{path}: tensor {name} has shape [{string.Join(", ", source.shape)}]; the model's is [{string.Join(", ", target.shape)}].");
            if (source.dtype != target.dtype)
                throw new InvalidDataException($"{path}: tensor {name} has dtype {DTypeName(source.dtype)}; the model's is {DTypeName(target.dtype)}.");
            if (source.is_floating_point() && !isfinite(source).all().item<bool>())
                throw new InvalidDataException($"{path}: tensor {name} holds a NaN or an infinity.");
        }

        using var noGrad = no_grad();
        foreach (var (name, target) in state) target.copy_(loaded[name]);
    }

    /// <summary>Replaces the weights of the checkpoint at <paramref name="checkpointPath"/> with those of
    /// <paramref name="safetensorsPath"/> and saves the result as a new checkpoint in <paramref name="outDirectory"/>
    /// (same configuration and item ids; written atomically by <see cref="ModelCheckpoint"/>), e.g. to serve weights
    /// fine-tuned in Python.</summary>
    /// <exception cref="InvalidDataException">The checkpoint or the safetensors file is unreadable or does not fit.</exception>
    public static void ImportIntoCheckpoint(string checkpointPath, string safetensorsPath, string outDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        ArgumentException.ThrowIfNullOrEmpty(outDirectory);
        using var loaded = ModelCheckpoint.Load(checkpointPath);
        Load(loaded.Model, safetensorsPath);
        ModelCheckpoint.Save(outDirectory, loaded.Model, loaded.ItemIds);
    }

    /// <summary>The safetensors name of a dtype (the format's own strings).</summary>
    internal static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => type.ToString(),
    };
}
