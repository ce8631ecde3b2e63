package dev.sparkvae.data;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a job did with its input rows; {@code read == written + skipped + quarantined} for jobs that write one row
 * per good input row.
 *
 * @param read input rows read
 * @param written rows written (or, for jobs that write no rows, used)
 * @param skipped bad rows left out
 * @param quarantined bad rows written to {@code _quarantine/} with their reason
 * @param duplicateIds rows whose id an earlier row has too (counted, not removed; -1 when not counted)
 */
public record RowCounts(long read, long written, long skipped, long quarantined, long duplicateIds) {
  /** The counts by name, for run summaries. */
  public Map<String, Long> asMap() {
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("read", read);
    counts.put("written", written);
    counts.put("skipped", skipped);
    counts.put("quarantined", quarantined);
    counts.put("duplicate_ids", duplicateIds);
    return counts;
  }
}
