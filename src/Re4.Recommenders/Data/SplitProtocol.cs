namespace Re4.Recommenders.Data;

/// <summary>How users and their sequences are divided into training, validation and test data.</summary>
public enum SplitProtocol
{
    /// <summary>ComiRec's protocol: users shuffled with a seed and split 80/10/10; a validation or test user's history
    /// is the last ≤ L items of the first ⌊0.8·len⌋, its ground truth all later items. Training uses training users only.</summary>
    ComiRec,

    /// <summary>Leave-one-out: every user's last item is the test target, the second last the validation target;
    /// training uses all but the last two items of every user. Users with fewer than 3 items only train.</summary>
    LeaveOneOut,
}
