package dev.sparkvae.plot;

import dev.sparkvae.model.EpochMetrics;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The XChart charts: the training curve and the latent map. */
public final class Charts {
  static {
    Png.useHeadlessAwt();
  }

  /** Labels beyond this many distinct values are not told apart by colour (a legend would not read). */
  public static final int MAX_COLOURED_LABELS = 20;

  /** Tableau's ten categorical colours: distinct for the ten classes of MNIST-like data. */
  private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
      new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
      new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207)};

  private Charts() {}

  /**
   * Train and held-out negative ELBO per epoch (800 × 500 pixels). An epoch without a held-out figure (NaN) has
   * no held-out point.
   */
  public static XYChart trainingCurve(List<EpochMetrics> metrics) {
    XYChart chart = new XYChartBuilder().width(800).height(500).title("Training curve")
        .xAxisTitle("epoch").yAxisTitle("negative ELBO (nats per example)").build();
    style(chart);
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    addCurve(chart, "train (mean over the epoch)", metrics, EpochMetrics::trainNegElbo);
    addCurve(chart, "held-out (after the epoch)", metrics, EpochMetrics::testNegElbo);
    return chart;
  }

  private static void addCurve(XYChart chart, String name, List<EpochMetrics> metrics,
      ToDoubleFunction<EpochMetrics> value) {
    List<Integer> epochs = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (EpochMetrics m : metrics) {
      double v = value.applyAsDouble(m);
      if (Double.isFinite(v)) {
        epochs.add(m.epoch());
        values.add(v);
      }
    }
    if (!values.isEmpty()) {
      XYSeries series = chart.addSeries(name, epochs, values);
      series.setMarker(SeriesMarkers.CIRCLE);
    }
  }

  /**
   * The latent map (800 × 720 pixels): one point per row, one colour per label when {@code labels} is not null
   * and has at most {@link #MAX_COLOURED_LABELS} distinct values (rows without a label form their own series).
   */
  public static XYChart latentMap(LatentProjection points, Integer[] labels) {
    int rows = points.x().length;
    XYChart chart = new XYChartBuilder().width(800).height(720)
        .title(String.format("Latent map of %,d rows", rows))
        .xAxisTitle(points.xTitle()).yAxisTitle(points.yTitle()).build();
    style(chart);
    chart.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(5);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    Map<String, List<Integer>> groups = new TreeMap<>(Charts::byLabel);
    long distinct = labels == null ? 0 : java.util.Arrays.stream(labels).filter(Objects::nonNull).distinct().count();
    boolean coloured = distinct > 0 && distinct <= MAX_COLOURED_LABELS;
    for (int r = 0; r < rows; r++) {
      String group = !coloured ? "rows" : labels[r] == null ? "no label" : "label " + labels[r];
      groups.computeIfAbsent(group, g -> new ArrayList<>()).add(r);
    }
    for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
      List<Integer> members = group.getValue();
      double[] x = new double[members.size()];
      double[] y = new double[members.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = points.x()[members.get(i)];
        y[i] = points.y()[members.get(i)];
      }
      chart.addSeries(group.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
    }
    if (!coloured) {
      chart.getStyler().setLegendVisible(false);
    }
    return chart;
  }

  /** Orders "label 2" before "label 10", and "no label" last. */
  private static int byLabel(String a, String b) {
    int rankA = a.startsWith("label ") ? 0 : 1;
    int rankB = b.startsWith("label ") ? 0 : 1;
    if (rankA != rankB || rankA == 1) {
      return rankA != rankB ? Integer.compare(rankA, rankB) : a.compareTo(b);
    }
    return Integer.compare(Integer.parseInt(a.substring(6)), Integer.parseInt(b.substring(6)));
  }

  private static void style(XYChart chart) {
    Styler styler = chart.getStyler();
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBackgroundColor(Color.WHITE);
    styler.setPlotBorderVisible(true);
    styler.setSeriesColors(PALETTE);
    styler.setAntiAlias(true);
  }

  /** The number of points in all series of {@code chart}. */
  public static int points(XYChart chart) {
    return chart.getSeriesMap().values().stream().mapToInt(s -> s.getXData().length).sum();
  }
}
