package dev.sparkvae.jobs;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.config.InferenceSettings;
import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.io.RunSummary;
import picocli.CommandLine.Option;

/**
 * The options of every job that runs a trained model over a dataset (encode, reconstruct, evaluate, plot), each
 * declared once with its flag, default and doc: {@code --input} and {@code --model} (required), {@code --overwrite}
 * (default off); and the settings groups of these jobs, {@code data.format}, {@code inference.*} (the engine of
 * encode, reconstruct and evaluate) and {@code plot.*} (the plots of evaluate and plot), which default to
 * {@code conf/defaults.conf} and are replaced together, checked, by {@link #settings}.
 *
 * @param <O> the job's own options, which the fluent setters return
 */
public abstract class ScoringOptions<O extends ScoringOptions<O>> implements JobOptions {
  @Option(names = "--input", required = true, paramLabel = "DIR", description = "Rows to score (Parquet or CSV).")
  String input;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory from train.")
  String model;

  @Option(names = "--overwrite", description = "Replace an existing output.")
  boolean overwrite;

  String format;
  InferenceSettings inference;
  PlotSettings plot;

  ScoringOptions() {
    read(Settings.defaults());
  }

  /** The rows to score: a Parquet or CSV directory (any Hadoop path). */
  public O input(String dir) {
    input = dir;
    return self();
  }

  /** A model directory written by {@code train}. */
  public O model(String dir) {
    model = dir;
    return self();
  }

  /** Replace existing outputs instead of refusing them. */
  public O overwrite(boolean value) {
    overwrite = value;
    return self();
  }

  /** The input's format and the engine and plot settings, as {@code settings} say (checked now). */
  public O settings(Settings settings) {
    read(settings);
    return self();
  }

  /** {@code parquet} or {@code csv}. */
  public O format(String value) {
    format = value;
    return self();
  }

  /** The inference engine and its native threads per task. */
  public O inference(InferenceSettings value) {
    inference = value;
    return self();
  }

  /** What the plots show. */
  public O plot(PlotSettings value) {
    plot = value;
    return self();
  }

  @Override
  public boolean overwrite() {
    return overwrite;
  }

  @Override
  public void recordInputs(RunSummary.Builder summary) {
    summary.input("input", input).input("model", model);
  }

  /** The input, model, overwrite and settings of {@code source}. */
  O from(ScoringOptions<?> source) {
    input = source.input;
    model = source.model;
    overwrite = source.overwrite;
    format = source.format;
    inference = source.inference;
    plot = source.plot;
    return self();
  }

  boolean csv() {
    return "csv".equals(format);
  }

  @SuppressWarnings("unchecked")
  final O self() {
    return (O) this;
  }

  private void read(Settings settings) {
    format = DataSettings.format(settings);
    inference = InferenceSettings.from(settings);
    plot = PlotSettings.from(settings);
  }
}
