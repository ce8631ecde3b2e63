package dev.sparkvae.jobs;

import dev.sparkvae.data.RowCounts;
import dev.sparkvae.io.RunSummary;
import java.util.Map;

/** The result of a job that writes one row per good input row (encode, reconstruct). */
public interface ScoredRows extends JobResult {
  /** The output directory. */
  String output();

  /** What happened to the input rows. */
  RowCounts counts();

  /** Input files left out as corrupt, with the reason. */
  Map<String, String> corruptFiles();

  /** The inference engine that computed the outputs. */
  String engine();

  /** Rows written. */
  default long rows() {
    return counts().written();
  }

  /** The lines on the input rows and files, when there is more to say than the rows written. */
  default String inputReport() {
    return new InputReport(counts(), corruptFiles(), "written").message();
  }

  @Override
  default void summarize(RunSummary.Builder summary) {
    summary.output("output", output()).throughput(rows()).environment("inference_engine", engine());
    new InputReport(counts(), corruptFiles(), "written").summarize(summary);
  }
}
