using System.Globalization;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Diagnostics;
using Re4.Recommenders.Training;
using ScottPlot;

namespace Re4.Cli;

/// <summary>The CLI's pictures (<c>training.png</c>, <c>compare.png</c>, <c>diagnostics.png</c>), drawn with ScottPlot.
/// They live in the sample, not the library, so that the package never pulls a plotting stack into an app.</summary>
internal static class Plots
{
    private const int Width = 1200;

    static Plots()
    {
        // ScottPlot looks for a handful of sans-serif names and otherwise falls back to the system default, which is a
        // serif face on many Linux images even where DejaVu Sans is installed: pick the first sans family present.
        using var fonts = SkiaSharp.SKFontManager.CreateDefault();
        var installed = new HashSet<string>(fonts.GetFontFamilies(), StringComparer.OrdinalIgnoreCase);
        var sans = new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Segoe UI" }.FirstOrDefault(installed.Contains);
        if (sans is not null) Fonts.Default = sans;
    }

    /// <summary>Draws a picture that accompanies a result; a platform without SkiaSharp's native library gets a warning
    /// instead of a failed job, because the result files (metrics.json, the model) are already written.</summary>
    public static void TryDraw(ILogger logger, string path, Action<string> draw)
    {
        try
        {
            draw(path);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            logger.LogWarning("Could not draw {Path}: {Message}", path, e.Message);
        }
    }

    /// <summary>Loss parts and validation recall@50 / ndcg@50 over training steps, one panel above the other on the
    /// same steps; with backward flows, a middle panel holds each flow's (unweighted) loss on a log scale.</summary>
    public static void Training(string path, string title, IReadOnlyList<ValidationRecord> history, long bestStep)
    {
        var steps = history.Select(h => (double)h.Step).ToArray();
        double[] Part(string name) => history.Select(h => h.LossParts.TryGetValue(name, out var v) ? v : double.NaN).ToArray();
        var flows = history.SelectMany(h => h.LossParts.Keys).Where(k => k is not ("total" or "main")).Distinct().ToList();

        var losses = new Plot();
        AddLine(losses, steps, history.Select(h => h.Loss).ToArray(), flows.Count > 0 ? "loss (main + Σ λ·flow)" : "loss");
        // Without flows the total is the main loss: a second, identical line would only hide the first.
        if (flows.Count > 0) AddLine(losses, steps, Part("main"), "loss_main");
        losses.Title(title);
        losses.YLabel("training loss");
        var panels = new List<Plot> { losses };

        if (flows.Count > 0)
        {
            // The flows' losses differ by orders of magnitude (re-construct's MSE is ~100x smaller than re-contrast's
            // cross-entropy): a log axis shows each one's trend instead of flattening the small ones to a line at 0.
            var flowPlot = new Plot();
            foreach (var flow in flows)
                AddLine(flowPlot, steps, Part(flow).Select(v => v > 0 ? Math.Log10(v) : double.NaN).ToArray(), "loss_" + flow);
            flowPlot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = y => Math.Pow(10, y).ToString("G3", CultureInfo.InvariantCulture),
            };
            flowPlot.YLabel("flow loss (unweighted, log)");
            panels.Add(flowPlot);
        }

        var metrics = new Plot();
        foreach (var key in new[] { "recall@50", "ndcg@50" })
            AddLine(metrics, steps, history.Select(h => h.Metrics.TryGetValue(key, out var v) ? v : double.NaN).ToArray(), "valid " + key);
        metrics.YLabel("validation users");
        metrics.XLabel("training step");
        panels.Add(metrics);

        foreach (var panel in panels)
        {
            MarkBest(panel, bestStep);
            // Legends outside the data (they hid the curves inside it) and the same padding in every panel, so that the
            // panels' x axes line up step for step.
            panel.ShowLegend(Edge.Right);
            panel.Layout.Fixed(new PixelPadding(80, 280, panel == metrics ? 50 : 30, panel == losses ? 40 : 10));
        }

        Save(path, Stack(panels).Render(Width, 330 * panels.Count));
    }

    /// <summary>Grouped bars: test recall@50 and ndcg@50 per model, with the standard deviation over seeds.</summary>
    public static void Compare(string path, string title, IReadOnlyList<(string Model, double[] Mean, double[] Std)> rows, string[] metricNames)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        var width = 0.8 / metricNames.Length;
        for (var m = 0; m < rows.Count; m++)
        {
            for (var s = 0; s < metricNames.Length; s++)
            {
                bars.Add(new Bar
                {
                    Position = m + (s - (metricNames.Length - 1) / 2.0) * width,
                    Value = rows[m].Mean[s],
                    Error = rows[m].Std[s],
                    Size = width * 0.95,
                    FillColor = palette.GetColor(s),
                });
            }
        }

        plot.Add.Bars(bars);
        foreach (var bar in bars)
        {
            // The value above the error bar's cap: on the bar's top it collides with the error bar.
            var label = plot.Add.Text(bar.Value.ToString("F3", CultureInfo.InvariantCulture), bar.Position, bar.Value + bar.Error);
            label.LabelAlignment = Alignment.LowerCenter;
            label.LabelFontSize = 12;
            label.OffsetY = -3;
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, rows.Count).Select(i => (double)i).ToArray(), rows.Select(r => r.Model).ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 14;
        plot.Legend.ManualItems.AddRange(metricNames.Select((name, s) => new LegendItem { LabelText = "test " + name + " (mean ± std)", FillColor = palette.GetColor(s) }));
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title(title);
        plot.YLabel("test users");
        plot.Axes.Margins(bottom: 0, top: 0.15);
        Save(path, plot.GetImage(Math.Max(Width, 160 * rows.Count), 700));
    }

    /// <summary>One user's interest-item attention (K × n heatmap, items by original id) beside the K × K cosine
    /// similarity of the interests.</summary>
    public static void Diagnostics(string path, string title, InterestSnapshot snapshot, IReadOnlyList<string> itemLabels)
    {
        var k = snapshot.Attention.GetLength(0);
        var n = snapshot.Attention.GetLength(1);
        var attention = new Plot();
        var a = ToDouble(snapshot.Attention);
        var heat = attention.Add.Heatmap(a);
        heat.Colormap = new ScottPlot.Colormaps.Viridis();
        heat.ManualRange = new ScottPlot.Range(0, Max(a));
        attention.Add.ColorBar(heat);
        // Values on the cells while they are wide enough to hold them (L = 20 in 1200 px is).
        LabelCells(attention, a, 0, Max(a), n <= 30);
        attention.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), itemLabels.ToArray());
        if (itemLabels.Max(l => l.Length) * 8 > 1000 / n)
        {
            // Long ids (Taobao's are 7 digits) overlap side by side: tilt them.
            attention.Axes.Bottom.TickLabelStyle.Rotation = -45;
            attention.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        }

        InterestTicks(attention.Axes.Left, k);
        attention.Title(title + ": attention A of each interest over the history (oldest → newest)");
        attention.XLabel("history item (original id)");
        attention.Axes.Margins(0, 0);

        var similarity = new Plot();
        var c = ToDouble(snapshot.Cosine);
        var cosHeat = similarity.Add.Heatmap(c);
        cosHeat.Colormap = new ScottPlot.Colormaps.Viridis();
        cosHeat.ManualRange = new ScottPlot.Range(-1, 1);
        similarity.Add.ColorBar(cosHeat);
        LabelCells(similarity, c, -1, 1, true);
        InterestTicks(similarity.Axes.Left, k);
        InterestTicks(similarity.Axes.Bottom, k);
        similarity.Title("cosine similarity of the interests Z");
        similarity.Axes.Margins(0, 0);

        Save(path, Stack([attention, similarity]).Render(Math.Max(Width, 60 * n + 300), 500 + 120 * k));
    }

    /// <summary>Writes the PNG through <see cref="AtomicFile"/>: a picture is a result file like metrics.json.</summary>
    private static void Save(string path, Image image)
    {
        using (image)
        {
            var png = image.GetImageBytes(ImageFormat.Png, 100);
            AtomicFile.Write(path, stream => stream.Write(png));
        }
    }

    /// <summary>Panels stacked top to bottom in one image.</summary>
    private static Multiplot Stack(IReadOnlyList<Plot> panels)
    {
        var stack = new Multiplot();
        stack.Reset(panels[0]);
        foreach (var panel in panels.Skip(1)) stack.AddPlot(panel);
        return stack;
    }

    private static ScottPlot.Plottables.Scatter AddLine(Plot plot, double[] xs, double[] ys, string label)
    {
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = label;
        line.LineWidth = 2;
        line.MarkerSize = xs.Length > 40 ? 0 : 6;
        return line;
    }

    private static void MarkBest(Plot plot, long bestStep)
    {
        var line = plot.Add.VerticalLine(bestStep);
        line.LinePattern = LinePattern.Dashed;
        line.Color = Colors.Gray;
        line.LegendText = "selected (best valid recall@50)";
    }

    /// <summary>Writes each cell's value on it: black on the light upper part of viridis, white on its dark lower part.</summary>
    private static void LabelCells(Plot plot, double[,] values, double min, double max, bool enabled)
    {
        if (!enabled) return;
        for (var r = 0; r < values.GetLength(0); r++)
        {
            for (var col = 0; col < values.GetLength(1); col++)
            {
                var v = values[r, col];
                // Heatmap rows are drawn top to bottom: row r sits at y = rows - 1 - r.
                var text = plot.Add.Text(v.ToString("F2", CultureInfo.InvariantCulture), col, values.GetLength(0) - 1 - r);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = (v - min) / (max - min) > 0.6 ? Colors.Black : Colors.White;
                text.LabelFontSize = 13;
            }
        }
    }

    private static void InterestTicks(IAxis axis, int k)
    {
        // Row r of a heatmap is drawn at y = k - 1 - r; on the x axis column r is at x = r.
        var isVertical = axis.Edge is Edge.Left or Edge.Right;
        var positions = Enumerable.Range(0, k).Select(r => (double)(isVertical ? k - 1 - r : r)).ToArray();
        axis.SetTicks(positions, Enumerable.Range(0, k).Select(r => "interest " + r).ToArray());
    }

    private static double[,] ToDouble(float[,] values)
    {
        var result = new double[values.GetLength(0), values.GetLength(1)];
        for (var r = 0; r < values.GetLength(0); r++)
        {
            for (var c = 0; c < values.GetLength(1); c++) result[r, c] = values[r, c];
        }

        return result;
    }

    private static double Max(double[,] values)
    {
        var max = double.NegativeInfinity;
        foreach (var v in values) max = Math.Max(max, v);
        return max > 0 ? max : 1;
    }
}
