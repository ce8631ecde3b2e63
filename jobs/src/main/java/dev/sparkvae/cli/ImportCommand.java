package dev.sparkvae.cli;

import dev.sparkvae.jobs.ImportJob;
import picocli.CommandLine.Command;

@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Convert Fashion-MNIST/MNIST IDX files to Parquet (id, label, features in [0,1]).")
final class ImportCommand extends JobCommand<ImportJob.Options> {
  ImportCommand() {
    super(new ImportJob.Options(), (spark, settings, options) -> new ImportJob(spark, options).run());
  }
}
