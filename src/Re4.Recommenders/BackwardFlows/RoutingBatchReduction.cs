namespace Re4.Recommenders.BackwardFlows;

/// <summary>How the routing regularisation combines the users of a batch (docs/remi.md, "RR").</summary>
public enum RoutingBatchReduction
{
    /// <summary>The sum over the batch's users: the REMI reference code (its effective weight grows with the batch size).</summary>
    Sum,

    /// <summary>The mean over the batch's users.</summary>
    Mean,
}
