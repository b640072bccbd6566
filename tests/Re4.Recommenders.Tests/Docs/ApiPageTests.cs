using System.Text.RegularExpressions;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.Tests.Docs;

/// <summary>docs/api.md lists exactly the public types of the library, each under its namespace.</summary>
public sealed class ApiPageTests
{
    [Fact]
    public void ApiPage_ListsEveryPublicTypeAndNothingElse()
    {
        var page = File.ReadAllLines(Path.Combine(TestPaths.RepositoryRoot, "docs", "api.md"));
        var listed = new HashSet<string>();
        string? ns = null;
        foreach (var line in page)
        {
            if (line.StartsWith("## ", StringComparison.Ordinal)) ns = line[3..].Trim();
            var row = Regex.Match(line, @"^\| `(\w+)` \|");
            if (row.Success && ns is not null) listed.Add($"{ns}.{row.Groups[1].Value}");
        }

        var exported = new[] { typeof(ModelCheckpoint).Assembly, typeof(Re4.Recommenders.PgVector.PgVectorPublisher).Assembly,
                typeof(global::Re4.Recommenders.USearch.USearchCandidateScorer).Assembly, typeof(global::Re4.Recommenders.Safetensors.SafetensorsWeights).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Select(t => t.FullName!.Split('`')[0])
            .ToHashSet();
        exported.Except(listed).Should().BeEmpty("every public type needs a line in docs/api.md, under its namespace");
        listed.Except(exported).Should().BeEmpty("docs/api.md lists only types that are public");
    }
}
