package dev.sparkvae.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.config.ProgressSettings;
import dev.sparkvae.jobs.TestSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleProgressTest {
  @TempDir Path dir;

  @Test
  void showsTheRunningJobsDescriptionTasksRowsAndStopsCleanly() throws Exception {
    SparkContext sc = TestSpark.session().sparkContext();
    StringWriter text = new StringWriter();
    ConsoleProgress progress = ConsoleProgress.start(sc, new ProgressSettings("on", 0.05), new PrintWriter(text, true));
    try {
      sc.setJobDescription("progress test: 4 slow partitions");
      TestSpark.session().range(0, 4000, 1, 4).as(Encoders.LONG())
          .mapPartitions((MapPartitionsFunction<Long, Long>) rows -> {
            Thread.sleep(400);
            return rows;
          }, Encoders.LONG())
          .write().parquet(dir.resolve("out").toString());
    } finally {
      sc.setJobDescription(null);
      progress.close();
    }
    assertThat(progress.isRunning()).as("the thread has stopped").isFalse();
    String shown = text.toString();
    List<String> lines = shown.lines().toList();
    assertThat(lines).as(shown).anySatisfy(line -> assertThat(line)
        .matches("progress test: 4 slow partitions \\| stage \\d+: [0-3]/4 tasks, \\d+ running.*"));
    assertThat(lines).as("rows written by finished tasks and an ETA").anySatisfy(line -> assertThat(line)
        .matches(".* \\| [0-9.k]+ rows written, [0-9.k]+ rows/s \\| ETA \\d+s"));
    Thread.sleep(200);
    assertThat(text.toString()).as("nothing more after close").isEqualTo(shown);
  }

  @Test
  void offAndAutoOffATerminalStartNothing() {
    SparkContext sc = TestSpark.session().sparkContext();
    PrintWriter sink = new PrintWriter(new StringWriter());
    assertThat(ConsoleProgress.start(sc, new ProgressSettings("off", 1), sink)).isNull();
    assertThat(ConsoleProgress.start(sc, new ProgressSettings("auto", 1), sink))
        .as("surefire's stderr is not a terminal").isNull();
  }
}
