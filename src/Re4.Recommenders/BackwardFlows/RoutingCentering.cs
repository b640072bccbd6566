namespace Re4.Recommenders.BackwardFlows;

/// <summary>Which attention entries the routing regularisation centres and sums over (docs/remi.md, "RR").</summary>
public enum RoutingCentering
{
    /// <summary>All L slots, padding (where A is 0) included: the REMI reference code. A user with fewer than L items pays
    /// a little even for uniform attention over its items.</summary>
    AllSlots,

    /// <summary>The user's valid items only: 0 exactly for uniform attention over the user's items.</summary>
    ValidItems,
}
