package dev.sparkvae.bench;

import static org.apache.spark.sql.functions.col;

import dev.sparkvae.config.Settings;
import dev.sparkvae.jobs.ReconstructJob;
import dev.sparkvae.jobs.TrainJob;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The one-class anomaly protocol on Fashion-MNIST, with our jobs: for each class, {@code train} on that class's
 * training images only (the default network, {@code --epochs} epochs, the threshold calibrated on the validation
 * split), {@code reconstruct} the 10,000 test images (16 importance samples), that class normal and the other nine
 * anomalous; then the same on the committed breast-cancer table with its recipe. Prints, per class, the AUROC of
 * {@code anomaly_score}, of {@code reconstruction_error} and of {@code -log_prob}, and the realised false-positive
 * rate of {@code is_anomaly} on the normal test rows (the target is {@code anomaly.false-positive-rate}).
 *
 * <p>Usage: {@code AnomalyScoreBenchmark --train DIR --test DIR --work DIR [--classes 0,1,...] [--epochs N]
 * [--tabular DIR --tabular-recipe FILE]}, the Fashion-MNIST directories written by the {@code import} job.
 */
public final class AnomalyScoreBenchmark {
  private static final List<String> SCORES = List.of("anomaly_score", "reconstruction_error", "log_prob");

  private AnomalyScoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    String work = options.get("--work");
    int epochs = Integer.parseInt(options.getOrDefault("--epochs", "10"));
    List<Integer> classes = Arrays.stream(options.getOrDefault("--classes", "0,1,2,3,4,5,6,7,8,9").split(","))
        .map(Integer::parseInt).toList();
    try (SparkSession spark = SparkSession.builder().master("local[2]").appName("anomaly scores")
        .config("spark.ui.enabled", "false")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", "dev.sparkvae.runtime.NdArrayKryoRegistrator")
        .config("spark.sql.parquet.enableNestedColumnVectorizedReader", "true")
        .getOrCreate()) {
      List<String> table = new ArrayList<>();
      double[] sums = new double[SCORES.size()];
      for (int normal : classes) {
        String dir = work + "/class-" + normal;
        spark.read().parquet(options.get("--train")).where(col("label").equalTo(normal)).write()
            .mode(SaveMode.Overwrite).parquet(dir + "/train");
        Settings settings = Settings.load(null, null, List.of("train.epochs=" + epochs, "plot.enabled=false"));
        double[] row = run(spark, settings, dir + "/train", options.get("--test"), dir, "parquet",
            label -> label == normal);
        for (int s = 0; s < SCORES.size(); s++) {
          sums[s] += row[s];
        }
        table.add(line("class " + normal, row));
      }
      table.add(line("mean", Arrays.stream(sums).map(v -> v / classes.size()).toArray()));
      if (options.containsKey("--tabular")) {
        String tabular = options.get("--tabular");
        Settings recipe = Settings.load(null, new File(options.get("--tabular-recipe")), List.of());
        table.add(line("breast-cancer", run(spark, recipe, tabular + "/train", tabular + "/test", work + "/tabular",
            "csv", label -> label == 0)));
      }
      System.out.printf("%nOne-class anomaly scores, %d epochs per class%n%n", epochs);
      System.out.println("| normal | AUROC anomaly_score | AUROC reconstruction_error | AUROC -log_prob "
          + "| false-positive rate on normal test rows |");
      System.out.println("| --- | ---: | ---: | ---: | ---: |");
      table.forEach(System.out::println);
    }
  }

  /** A predicate on labels. */
  private interface Normal {
    boolean test(int label);
  }

  /** Trains on {@code train}, scores {@code test}: the three AUROCs and the false-positive rate. */
  private static double[] run(SparkSession spark, Settings settings, String train, String test, String dir,
      String format, Normal normal) throws Exception {
    String model = dir + "/model";
    new TrainJob(spark, settings, new TrainJob.Options().input(train).model(model).overwrite(true)).run();
    String scores = dir + "/scores";
    new ReconstructJob(spark, new ReconstructJob.Options().input(test).model(model).output(scores, "label")
        .format(format).overwrite(true)).run();
    List<Row> rows = spark.read().parquet(scores).select("label", "anomaly_score", "reconstruction_error",
        "log_prob", "is_anomaly").collectAsList();
    double[] result = new double[SCORES.size() + 1];
    for (int s = 0; s < SCORES.size(); s++) {
      int field = s + 1;
      double sign = SCORES.get(s).equals("log_prob") ? -1 : 1;
      result[s] = auroc(rows.stream().filter(r -> !normal.test(r.getInt(0))).mapToDouble(r -> sign * r.getFloat(field))
          .toArray(), rows.stream().filter(r -> normal.test(r.getInt(0))).mapToDouble(r -> sign * r.getFloat(field))
          .toArray());
    }
    long normals = rows.stream().filter(r -> normal.test(r.getInt(0))).count();
    result[SCORES.size()] = rows.stream().filter(r -> normal.test(r.getInt(0)) && r.getBoolean(4)).count()
        / (double) normals;
    return result;
  }

  /**
   * The chance that a random anomaly scores above a random normal row, ties counted half (the Mann–Whitney
   * statistic), from the ranks of the pooled scores.
   */
  static double auroc(double[] anomalies, double[] normals) {
    double[][] pooled = new double[anomalies.length + normals.length][];
    for (int i = 0; i < anomalies.length; i++) {
      pooled[i] = new double[] {anomalies[i], 1};
    }
    for (int i = 0; i < normals.length; i++) {
      pooled[anomalies.length + i] = new double[] {normals[i], 0};
    }
    Arrays.sort(pooled, (a, b) -> Double.compare(a[0], b[0]));
    double anomalyRanks = 0;
    for (int i = 0; i < pooled.length;) {
      int end = i;
      while (end < pooled.length && pooled[end][0] == pooled[i][0]) {
        end++;
      }
      double rank = (i + 1 + end) / 2.0;
      for (int j = i; j < end; j++) {
        anomalyRanks += pooled[j][1] * rank;
      }
      i = end;
    }
    double n = anomalies.length;
    return (anomalyRanks - n * (n + 1) / 2) / (n * normals.length);
  }

  private static String line(String name, double[] values) {
    StringBuilder line = new StringBuilder("| " + name);
    for (int i = 0; i < values.length; i++) {
      line.append(String.format(" | %.3f", values[i]));
    }
    return line.append(values.length == SCORES.size() ? " | |" : " |").toString();
  }
}
