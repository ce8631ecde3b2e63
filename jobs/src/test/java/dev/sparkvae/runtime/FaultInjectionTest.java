package dev.sparkvae.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.jobs.TestSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class FaultInjectionTest {
  @Test
  void parsesActionPointAndFilters() {
    assertThat(FaultInjection.parse("exit@score:partition=3:attempt=0")).isEqualTo(
        Map.of("action", "exit", "point", "score", "partition", "3", "attempt", "0"));
    assertThat(FaultInjection.parse("throw@train")).isEqualTo(Map.of("action", "throw", "point", "train"));
  }

  @Test
  void rejectsWhatItCannotRead() {
    assertThatThrownBy(() -> FaultInjection.parse("kill@score"))
        .hasMessage("Cannot use spark.sparkvae.fault=kill@score: the form is "
            + "exit|throw@POINT[:partition=N][:attempt=N][:iteration=N]");
    assertThatThrownBy(() -> FaultInjection.parse("exit@score:partition=x"))
        .hasMessage("Cannot use spark.sparkvae.fault=exit@score:partition=x: filter partition=x is not name=number");
  }

  @Test
  void anAttemptFilterMatchesOnlyInTheFirstAttemptOfTheStage() {
    Map<String, String> spec = FaultInjection.parse("exit@train:partition=0:attempt=0:iteration=13");
    assertThat(FaultInjection.appliesTo(spec, "train", 0, 0, 0, 13)).isTrue();
    assertThat(FaultInjection.appliesTo(spec, "train", 0, 0, 1, 13)).as("the task's retry").isFalse();
    assertThat(FaultInjection.appliesTo(spec, "train", 0, 1, 0, 13))
        .as("the stage run again after a lost shuffle output, whose task attempts count from 0").isFalse();
    assertThat(FaultInjection.appliesTo(spec, "train", 1, 0, 0, 13)).isFalse();
    assertThat(FaultInjection.appliesTo(spec, "train", 0, 0, 0, 12)).isFalse();
    assertThat(FaultInjection.appliesTo(spec, "score", 0, 0, 0, 13)).isFalse();
    assertThat(FaultInjection.appliesTo(FaultInjection.parse("throw@score"), "score", 3, 2, 5, -1))
        .as("no filter: every task").isTrue();
  }

  @Test
  void aConfiguredFaultHitsTheMatchingTasksOnlyAndNeverTheDriver() {
    SparkSession spark = TestSpark.session();
    SparkConf conf = SparkEnv.get().conf();
    JavaRDD<Integer> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(1, 2, 3, 4), 2);
    try {
      conf.set(FaultInjection.KEY, "throw@score:partition=1");
      assertThatCode(() -> FaultInjection.at("score", -1)).as("on the driver, outside any task")
          .doesNotThrowAnyException();
      assertThatThrownBy(() -> rdd.foreachPartition(rows -> FaultInjection.at("score", -1)))
          .hasMessageContaining("Injected fault (spark.sparkvae.fault=throw@score:partition=1) at score in "
              + "partition 1, attempt 1 of stage attempt 0");
      assertThatCode(() -> rdd.foreachPartition(rows -> FaultInjection.at("train", 3))).as("another point")
          .doesNotThrowAnyException();
      conf.set(FaultInjection.KEY, "throw@score:partition=5");
      assertThatCode(() -> rdd.foreachPartition(rows -> FaultInjection.at("score", -1))).as("no task matches")
          .doesNotThrowAnyException();
    } finally {
      conf.remove(FaultInjection.KEY);
    }
  }
}
