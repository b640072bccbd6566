// TorchSharp's global random generator is process-wide: tests that seed it (weights, MIND's routing start) must not
// interleave with tests drawing from it on other threads, or "same seed, same result" would fail by chance.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
