// The packaging test's app (eng/pack-test.sh copies it into a throwaway project outside the repository that references
// the freshly packed Re4.Recommenders package, not the source): trains a small model on planted-interest data, saves and
// reloads it through the serving facade, recommends for a history drawn from one planted topic, and checks the result
// against what the generator planted. Prints "pack-test: OK" and exits 0 when every check holds; exits 1 otherwise.
using Re4.Recommenders.Baselines;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Hosting;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: PackTestApp RUN_DIR");
    return 2;
}

var runDirectory = args[0];
const int Topics = 10;
var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 1500, Items = 300, Topics = Topics, Noise = 0.02, Seed = 7 });
var data = DatasetPreparation.Prepare(raw, DatasetFilter.ComiRec());
var split = DataSplitter.ComiRec(data, seed: 1);
var config = new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = data.ItemCount, Interests = 2, Dimension = 32, MaxLength = split.MaxLength };
var options = new TrainerOptions { MaxSteps = 600, EvaluateEvery = 200, BatchSize = 64, LearningRate = 0.005, CheckpointDirectory = runDirectory };

TrainingResult result;
using (var trainer = new MultiInterestTrainer(split, config, options))
{
    result = trainer.Fit();
}

var model = result.Test![MetricNames.Recall(50)];
var popular = RetrievalEvaluator.Evaluate(new MostPopularRecommender(split), split.Test)[MetricNames.Recall(50)];
Console.WriteLine($"trained {result.Steps} steps; test recall@50: ComiRec-SA {model:F4}, MostPopular {popular:F4}");

// The generator puts original item i in topic (i - 1) mod Topics: a history from one topic should bring back that topic.
const int Topic = 3;
var history = Enumerable.Range(0, 6).Select(j => (long)(Topic + 1 + j * Topics)).ToArray();
using var service = new Re4RecommenderService(runDirectory);
var recommendation = service.Recommend(history, top: 10);
var inTopic = recommendation.Items.Count(item => (item - 1) % Topics == Topic);
Console.WriteLine($"history [{string.Join(", ", history)}] (topic {Topic}) -> [{string.Join(", ", recommendation.Items)}]: {inTopic} of {recommendation.Items.Count} in topic {Topic}");

var failures = new List<string>();
if (recommendation.Items.Count != 10) failures.Add($"expected 10 items, got {recommendation.Items.Count}");
if (recommendation.Items.Intersect(history).Any()) failures.Add("the history came back although the service excludes it by default");
if (inTopic < 7) failures.Add($"only {inTopic} of 10 recommendations are in the history's topic (expected at least 7)");
if (!(model > popular)) failures.Add($"the trained model ({model:F4}) does not beat MostPopular ({popular:F4})");
foreach (var f in failures) Console.Error.WriteLine($"pack-test: FAILED: {f}");
if (failures.Count > 0) return 1;
Console.WriteLine("pack-test: OK");
return 0;
