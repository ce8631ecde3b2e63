package dev.sparkvae.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.jobs.TestSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class MinibatchesTest {
  @Test
  void balancedSpreadsRowsEvenlyOverOnePartitionPerWorkerInTheSameOrderEveryTime() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    List<float[]> rows = new ArrayList<>();
    IntStream.range(0, 1003).forEach(i -> rows.add(new float[] {i}));
    JavaRDD<float[]> input = jsc.parallelize(rows, 4);

    List<List<float[]>> first = Minibatches.balanced(input, 3).glom().collect();
    List<List<float[]>> second = Minibatches.balanced(input, 3).glom().collect();

    assertThat(first).as("one partition per worker").hasSize(3);
    List<Integer> sizes = first.stream().map(List::size).toList();
    assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(1003);
    assertThat(sizes.stream().mapToInt(Integer::intValue).max().getAsInt()
        - sizes.stream().mapToInt(Integer::intValue).min().getAsInt())
        .as("sizes %s differ by at most the 4 input partitions", sizes).isLessThanOrEqualTo(4);
    List<Float> values = first.stream().flatMap(List::stream).map(r -> r[0]).sorted().toList();
    assertThat(values).as("every row exactly once")
        .isEqualTo(IntStream.range(0, 1003).mapToObj(i -> (float) i).toList());
    for (int p = 0; p < 3; p++) {
      assertThat(first.get(p).stream().map(r -> r[0]).toList()).as("partition %d in the same order", p)
          .isEqualTo(second.get(p).stream().map(r -> r[0]).toList());
    }
  }
}
