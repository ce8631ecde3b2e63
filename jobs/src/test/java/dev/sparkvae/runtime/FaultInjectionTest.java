package dev.sparkvae.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
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
  void outsideASparkTaskNothingHappens() {
    FaultInjection.at("score", -1);
  }
}
