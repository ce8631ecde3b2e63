package dev.sparkvae.jobs;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where a job that writes one row per good input row puts them: a Parquet directory ({@code --output}, required)
 * and the input columns copied beside the outputs ({@code --keep}, none by default).
 */
final class RowsOutput {
  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Parquet output directory.")
  String dir;

  @Option(names = "--keep", split = ",", paramLabel = "COL", description = "Input columns to copy to the output.")
  List<String> keep = new ArrayList<>();

  void set(String outputDir, String... keptColumns) {
    dir = outputDir;
    keep = List.of(keptColumns);
  }
}
