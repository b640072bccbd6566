namespace Re4.Recommenders.Safetensors;

/// <summary>One tensor of a model's weights as a safetensors file names it: the model's <c>state_dict</c> name (e.g.
/// <c>items.weight</c>), its shape and its safetensors dtype (<c>F32</c> for every Re4 weight).</summary>
/// <param name="Name">The <c>state_dict</c> key.</param>
/// <param name="Shape">The dimensions, outermost first.</param>
/// <param name="DType">The safetensors dtype string (<c>F32</c>, <c>F64</c>, <c>I64</c>, ...).</param>
public sealed record WeightTensor(string Name, IReadOnlyList<long> Shape, string DType);
