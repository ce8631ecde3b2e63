package dev.sparkvae.jobs;

import static dev.sparkvae.jobs.LoopbackCluster.concat;
import static dev.sparkvae.jobs.LoopbackCluster.localCli;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The tiny recipe of the cluster integration tests ({@code train} then {@code encode} on the committed sample: a
 * small network, 2 workers, 2 epochs, the same seed everywhere), run once per JVM on the embedded {@code local}
 * profile, and the comparison of a cluster's model and encodings with that run's.
 */
final class ReferenceRun {
  /**
   * Parameter averaging over 2 workers is order-independent (a + b == b + a in IEEE arithmetic) and every step runs
   * the same code single-threaded on the same BLAS, so a cluster run and the local run should agree to the last bit;
   * the tolerance admits float32 rounding only, orders of magnitude below what one training step changes.
   */
  static final double TOLERANCE = 1e-6;
  private static final List<String> RECIPE = List.of("--epochs", "2", "--set", "vae.encoder-sizes=[32]", "--set",
      "vae.decoder-sizes=[32]", "--set", "vae.latent-size=8", "--set", "train.workers=2", "--set",
      "train.batch-size-per-worker=50", "--set", "train.averaging-frequency=2");

  private static ReferenceRun shared;

  private final Path model;
  private final Path codes;

  private ReferenceRun(Path model, Path codes) {
    this.model = model;
    this.codes = codes;
  }

  /** The {@code train} arguments of the recipe: the sample's splits under {@code sample} (any Hadoop path). */
  static List<String> train(String sample, String model) {
    return concat(List.of("train", "--input", sample + "/train", "--test", sample + "/test", "--model", model),
        RECIPE);
  }

  /** The {@code encode} arguments of the recipe: the sample's test split with {@code model} to {@code codes}. */
  static List<String> encode(String sample, String model, String codes) {
    return List.of("encode", "--input", sample + "/test", "--model", model, "--output", codes);
  }

  /**
   * The run, trained and encoded on the embedded {@code local} profile in this JVM at the first call (into
   * jobs/target/reference-run, replaced), and shared by every integration test of the JVM after that.
   */
  static synchronized ReferenceRun shared() throws IOException {
    if (shared == null) {
      Path dir = LoopbackCluster.ROOT.resolve("jobs/target/reference-run");
      if (Files.exists(dir)) {
        try (Stream<Path> paths = Files.walk(dir)) {
          for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(path);
          }
        }
      }
      Path model = dir.resolve("local-model");
      Path codes = dir.resolve("local-codes");
      String sample = TestSpark.SAMPLE.toString();
      localCli(train(sample, model.toString()));
      localCli(encode(sample, model.toString(), codes.toString()));
      shared = new ReferenceRun(model, codes);
    }
    return shared;
  }

  /** The trained parameters of a model directory on this machine. */
  static INDArray parameters(Path model) throws IOException {
    return ModelSerializer.restoreMultiLayerNetwork(model.resolve("model.zip").toFile()).params();
  }

  /**
   * Asserts that a cluster's model directory and encodings (on this machine) match this run's: parameters and
   * encodings within {@link #TOLERANCE}, {@code metrics.json} equal but for its timings.
   */
  void assertMatchedBy(String cluster, Path clusterModel, Path clusterCodes) throws IOException {
    INDArray clusterParams = parameters(clusterModel);
    INDArray localParams = parameters(model);
    assertThat(clusterParams.length()).isEqualTo(localParams.length()).isGreaterThan(50_000L);
    double paramDiff = clusterParams.sub(localParams).amaxNumber().doubleValue();
    double codeDiff = maxDifference(codes(clusterCodes), codes(codes));
    System.out.printf("%s: max |cluster - local| parameters %.3g, z_mean/z_log_var %.3g%n", cluster, paramDiff,
        codeDiff);
    assertThat(paramDiff).as("max parameter difference, " + cluster + " vs local").isLessThanOrEqualTo(TOLERANCE);
    assertThat(codeDiff).as("max encoding difference, " + cluster + " vs local").isLessThanOrEqualTo(TOLERANCE);
    assertThat(withoutTimings(clusterModel.resolve("metrics.json"))).as("metrics.json but the timings")
        .isEqualTo(withoutTimings(model.resolve("metrics.json")));
  }

  private static String withoutTimings(Path metrics) throws IOException {
    return Files.readString(metrics).replaceAll("\"seconds\"\\s*:\\s*[0-9.Ee-]+", "");
  }

  /** id -> z_mean followed by z_log_var. */
  private static Map<Long, float[]> codes(Path output) {
    Map<Long, float[]> codes = new HashMap<>();
    for (Row row : TestSpark.session().read().parquet(output.toString()).collectAsList()) {
      List<Float> mean = row.getList(row.fieldIndex("z_mean"));
      List<Float> logVar = row.getList(row.fieldIndex("z_log_var"));
      float[] both = new float[mean.size() + logVar.size()];
      for (int i = 0; i < both.length; i++) {
        both[i] = i < mean.size() ? mean.get(i) : logVar.get(i - mean.size());
      }
      codes.put(row.getLong(row.fieldIndex("id")), both);
    }
    return codes;
  }

  private static double maxDifference(Map<Long, float[]> a, Map<Long, float[]> b) {
    assertThat(a).hasSize(500);
    assertThat(a.keySet()).isEqualTo(b.keySet());
    double max = 0;
    for (Map.Entry<Long, float[]> entry : a.entrySet()) {
      float[] other = b.get(entry.getKey());
      assertThat(entry.getValue()).hasSameSizeAs(other);
      for (int i = 0; i < other.length; i++) {
        max = Math.max(max, Math.abs(entry.getValue()[i] - other[i]));
      }
    }
    return max;
  }
}
