package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.cli.Cli;
import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.NoiseSeeds;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One negative ELBO: the held-out figure {@code train} reports is the one {@code evaluate} gives for the saved model
 * on the same rows, and both are the exact definition, worked out here in double precision from the saved
 * parameters: KL(q(z|x) ‖ N(0, I)) in closed form plus −log p(x|z) = Σ softplus(a) − x·a at the one z a row's noise
 * gives (seeded by the model's checksum and the row's id).
 */
class HeldOutElboTest {
  @TempDir Path dir;

  private static void cli(String... args) {
    StringWriter err = new StringWriter();
    int code = Cli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
        Stream.concat(Stream.of(TestSpark.LOCAL_CLUSTER), Stream.of(args)).toArray(String[]::new));
    assertThat(code).as(err.toString()).isZero();
  }

  @Test
  void trainReportsTheExactNegativeElboThatEvaluateGivesForTheSavedModel() throws Exception {
    String test = TestSpark.SAMPLE.resolve("test").toString();
    String model = dir.resolve("model").toString();
    cli("train", "--input", TestSpark.SAMPLE.resolve("train").toString(), "--test", test, "--model", model,
        "--epochs", "1", "--set", "vae.encoder-sizes=[64]", "--set", "vae.decoder-sizes=[64]",
        "--set", "vae.latent-size=8");
    String summary = dir.resolve("evaluate.json").toString();
    cli("evaluate", "--input", test, "--model", model, "--output", summary, "--batch-size", "1000",
        "--set", "inference.engine=nd4j");

    double trained = JsonFiles.MAPPER.readTree(new File(model, "metrics.json")).get(0).get("test_neg_elbo")
        .asDouble();
    double evaluated = JsonFiles.MAPPER.readTree(new File(summary)).get("negative_elbo_mean").asDouble();
    // The same float computation on the same batches: only the order of the sum differs.
    assertThat(evaluated).as("evaluate's -ELBO of the saved model on the same rows").isCloseTo(trained, within(1e-6));
    // The engine computes in float, this oracle in double: about 1e-6 nats apart on a mean of some 500.
    assertThat(trained).as("train's held-out -ELBO, worked out in double").isCloseTo(exactNegativeElbo(model, test),
        within(1e-5));
  }

  /** The mean negative ELBO of the rows of {@code input} under the model in {@code model} (relu, Bernoulli). */
  private static double exactNegativeElbo(String model, String input) throws Exception {
    ModelArtifact artifact = ModelArtifact.load(model, new Configuration());
    Map<String, INDArray> params = artifact.network().getLayer(0).paramTable();
    long seed = BatchScorer.seedOf(artifact.info().modelSha256());
    List<Row> rows = TestSpark.session().read().parquet(input).select("id", "features").collectAsList();
    double sum = 0;
    for (Row row : rows) {
      List<Float> features = row.getList(1);
      double[] x = features.stream().mapToDouble(Float::doubleValue).toArray();
      double[] hidden = relu(affine(x, params, "e0"));
      double[] mean = affine(hidden, params, "pZXMean");
      double[] logVariance = affine(hidden, params, "pZXLogStd2");
      SplittableRandom noise = new SplittableRandom(NoiseSeeds.of(seed, 0, row.getLong(0)));
      double[] z = new double[mean.length];
      for (int j = 0; j < z.length; j++) {
        z[j] = mean[j] + Math.exp(logVariance[j] / 2) * (float) noise.nextGaussian();
        sum += 0.5 * (Math.exp(logVariance[j]) + mean[j] * mean[j] - logVariance[j] - 1);
      }
      double[] logits = affine(relu(affine(z, params, "d0")), params, "pXZ");
      for (int f = 0; f < x.length; f++) {
        sum += Math.max(logits[f], 0) + Math.log1p(Math.exp(-Math.abs(logits[f]))) - x[f] * logits[f];
      }
    }
    return sum / rows.size();
  }

  /** v·W + b with the weights {@code name}W and the bias {@code name}b. */
  private static double[] affine(double[] v, Map<String, INDArray> params, String name) {
    double[][] w = params.get(name + "W").toDoubleMatrix();
    double[] out = params.get(name + "b").toDoubleVector();
    for (int i = 0; i < v.length; i++) {
      for (int j = 0; j < out.length; j++) {
        out[j] += v[i] * w[i][j];
      }
    }
    return out;
  }

  private static double[] relu(double[] v) {
    return java.util.Arrays.stream(v).map(value -> Math.max(value, 0)).toArray();
  }
}
