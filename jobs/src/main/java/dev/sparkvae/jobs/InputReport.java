package dev.sparkvae.jobs;

import dev.sparkvae.data.RowCounts;
import dev.sparkvae.io.RunSummary;
import java.util.Map;

/**
 * What happened to a job's input: the rows read, used, skipped and quarantined, the repeated ids and the corrupt
 * files left out. Its message is empty when every row read was used and nothing else happened.
 *
 * @param usedAs what the good rows are called: {@code written} by the jobs that write one row per good input row,
 *     {@code used} by train
 */
record InputReport(RowCounts counts, Map<String, String> corruptFiles, String usedAs) implements JobResult {
  @Override
  public String message() {
    StringBuilder line = new StringBuilder();
    if (counts.read() != counts.written()) {
      line.append(String.format("%n%d rows read, %d %s, %d skipped, %d quarantined", counts.read(),
          counts.written(), usedAs, counts.skipped(), counts.quarantined()));
    }
    if (counts.duplicateIds() > 0) {
      line.append(String.format("%nWarning: %d rows repeat the id of another row", counts.duplicateIds()));
    }
    if (!corruptFiles.isEmpty()) {
      line.append(String.format("%n%d corrupt input files skipped: %s", corruptFiles.size(),
          String.join(", ", corruptFiles.keySet())));
    }
    return line.toString();
  }

  @Override
  public void summarize(RunSummary.Builder summary) {
    counts.asMap().forEach((name, value) -> summary.count("rows_" + (name.equals("written") ? usedAs : name), value));
    summary.count("corrupt_files_skipped", corruptFiles.size());
  }
}
