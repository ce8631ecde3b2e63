package dev.sparkvae.run;

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
  void outsideASparkTaskNothingHappens() {
    FaultInjection.at("score", -1);
  }
}
