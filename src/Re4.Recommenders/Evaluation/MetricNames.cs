using System.Globalization;

namespace Re4.Recommenders.Evaluation;

/// <summary>The metric keys of <c>metrics.json</c> and <see cref="EvaluationResult.Metrics"/>: a public contract, never renamed.</summary>
public static class MetricNames
{
    /// <summary>ComiRec recall (duplicates counted in the ground truth).</summary>
    public static string Recall(int n) => Key("recall", n);

    /// <summary>Set-based recall of the Re4 code.</summary>
    public static string RecallSet(int n) => Key("recall_set", n);

    /// <summary>Hit rate.</summary>
    public static string HitRate(int n) => Key("hitrate", n);

    /// <summary>Standard NDCG.</summary>
    public static string Ndcg(int n) => Key("ndcg", n);

    /// <summary>ComiRec's later (master) NDCG.</summary>
    public static string NdcgComiRec(int n) => Key("ndcg_comirec", n);

    /// <summary>NDCG as printed in the ComiRec and Re4 papers' tables.</summary>
    public static string NdcgComiRecPaper(int n) => Key("ndcg_comirec_paper", n);

    /// <summary>All keys for a cutoff, in the order they are written.</summary>
    public static IEnumerable<string> All(int n) =>
        [Recall(n), RecallSet(n), HitRate(n), Ndcg(n), NdcgComiRec(n), NdcgComiRecPaper(n)];

    private static string Key(string name, int n) => string.Create(CultureInfo.InvariantCulture, $"{name}@{n}");
}
