namespace Re4.Recommenders.PgVector;

/// <summary>How <see cref="PgVectorPublisher"/> builds a version's HNSW index and whether it becomes current.</summary>
public sealed class PgVectorPublishOptions
{
    /// <summary>HNSW <c>m</c> (default 16, pgvector's default; 2..100): links per node.</summary>
    public int M { get; set; } = 16;

    /// <summary>HNSW <c>ef_construction</c> (default 64, pgvector's default; 4..1000, at least 2·<see cref="M"/>).</summary>
    public int EfConstruction { get; set; } = 64;

    /// <summary>The <c>maintenance_work_mem</c> of the index build in MiB (default 1024). The build is much faster when
    /// the graph fits in it.</summary>
    public int MaintenanceWorkMemoryMiB { get; set; } = 1024;

    /// <summary>Make the published version the catalog's current version (default true).</summary>
    public bool MakeCurrent { get; set; } = true;

    /// <summary>Checks the options; the message names the option at fault.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (M is < 2 or > 100)
            throw new ArgumentOutOfRangeException(nameof(M), M, $"{nameof(PgVectorPublishOptions)}.{nameof(M)} must be in 2..100; it is {M}.");
        if (EfConstruction is < 4 or > 1000 || EfConstruction < 2 * M)
            throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, $"{nameof(PgVectorPublishOptions)}.{nameof(EfConstruction)} must be in 4..1000 and at least 2·M = {2 * M}; it is {EfConstruction}.");
        if (MaintenanceWorkMemoryMiB is < 1 or > 1 << 20)
            throw new ArgumentOutOfRangeException(nameof(MaintenanceWorkMemoryMiB), MaintenanceWorkMemoryMiB, $"{nameof(PgVectorPublishOptions)}.{nameof(MaintenanceWorkMemoryMiB)} must be in 1..1048576; it is {MaintenanceWorkMemoryMiB}.");
    }
}
