// Test names: Subject_Behaviour or Subject_Behaviour_Condition (dotnet/runtime style), each segment PascalCase, the
// subject being the member or type under test (Load_ThrowsForMissingFile, Evaluate_ReturnsZeroRecall_WhenNoItemIsRetrieved).
// A test class is named <Type>Tests after its type, or after its scenario where no single type is under test.

// TorchSharp's global random generator is process-wide: tests that seed it (weights, MIND's routing start) must not
// interleave with tests drawing from it on other threads, or "same seed, same result" would fail by chance.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
