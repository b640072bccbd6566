using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Tests.Training.Runs;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The objective's own weights (the re-construct generator) are trained with the model and kept in the resume
/// state. Until the trainer held them in <c>ObjectiveModules</c>, TorchSharp's ModuleList registered none of them: Adam
/// never moved the generator and <c>resume/flows.bin</c> held no tensor.</summary>
public sealed class ObjectiveModulesTests
{
    private static TrainerOptions WithConstruct(string? checkpoint, long maxSteps)
    {
        var options = TinyRun.Options(checkpoint, maxSteps);
        options.BackwardFlows = new BackwardFlowOptions { Construct = new ReConstructOptions() };
        return options;
    }

    private static List<float[]> Values(nn.Module module) =>
        module.parameters().Select(p => p.detach().cpu().data<float>().ToArray()).ToList();

    [Fact]
    public void Fit_UpdatesEveryParameterOfTheReConstructGenerator()
    {
        using var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), WithConstruct(null, maxSteps: 5));
        var generator = trainer.Objective.Modules.Single();
        var before = Values(generator);

        trainer.Fit();

        var after = Values(generator);
        before.Should().HaveCount(5, "the expansion to L slots (weight and bias), W1, W2 and W3 of the reference generator");
        for (var i = 0; i < before.Count; i++)
            after[i].Should().NotEqual(before[i], $"Adam moves parameter {i} of the generator, which receives a gradient at every step");
    }

    [Fact]
    public void Resume_RestoresTheGeneratorOfTheSavedStep()
    {
        using var dir = new TempDir();
        List<float[]> saved;
        using (var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), WithConstruct(dir.Path, maxSteps: 10)))
        {
            trainer.Fit();   // the last validation (step 10) writes resume/
            saved = Values(trainer.Objective.Modules.Single());
        }

        using var resumed = MultiInterestTrainer.Resume(dir.Path, TinyRun.Split.Value);

        var restored = Values(resumed.Objective.Modules.Single());
        restored.Should().HaveCount(saved.Count);
        for (var i = 0; i < saved.Count; i++) restored[i].Should().Equal(saved[i]);
    }
}
