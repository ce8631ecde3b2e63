package dev.sparkvae.bench;

import dev.sparkvae.config.InferenceSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.inference.EncoderEngine;
import dev.sparkvae.inference.InferenceEngines;
import dev.sparkvae.jobs.EncodeJob;
import dev.sparkvae.jobs.InputChecks;
import dev.sparkvae.jobs.ReconstructJob;
import dev.sparkvae.jobs.RowScoringOptions;
import dev.sparkvae.jobs.SampledScoringOptions;
import dev.sparkvae.ml.VaeScoringParams;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.VaeNetworks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * Encode end to end on real local Spark ({@code local[2]}): Parquet in, Parquet out, rows/s, for our
 * {@code encode} job on each encoder engine and for dl4j-spark's own path
 * ({@code SparkDl4jMultiLayer.feedForwardWithKey}, latent mean only, written to Parquet the same way). Beside them,
 * in the same run, the compute-only rate of our ONNX Runtime engine on the same rows (2 threads, one process), so
 * the end-to-end share of the compute limit is measured, not assumed. Model: 784-256-256→16, seeded weights.
 *
 * <p>Spark settings as in conf/defaults.conf (vectorized decoding of nested Parquet columns), for every path. Also
 * measured: Spark's Parquet scan of the same columns into a no-op sink (the floor of any encode that reads through
 * Spark), and our job on one row (its fixed cost: planning, the input and model checks, job scheduling).
 *
 * <p>With {@code --reconstruct-samples K}, also our {@code reconstruct} job (reconstruction_error, log_prob with K
 * samples, is_anomaly) on each engine.
 *
 * <p>Usage: {@code EncodeEndToEndBenchmark --input DIR --work DIR [--repeats N] [--reconstruct-samples K]} where
 * DIR is Parquet written by the {@code import} job (id, label, features). Every figure is the median of the repeats
 * after one warm-up run.
 */
public final class EncodeEndToEndBenchmark {

  /** The encode job's default batch. */
  private static final int BATCH = VaeScoringParams.BATCH_SIZE_DEFAULT;

  private EncodeEndToEndBenchmark() {}

  /** The job's defaults but the duplicate-id count (a separate job, not the encode path). */
  private static <O extends RowScoringOptions<O>> O checks(O options) {
    return options.checks(new InputChecks().countDuplicateIds(false));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    String input = require(options, "--input");
    String work = require(options, "--work");
    int repeats = Integer.parseInt(options.getOrDefault("--repeats", "3"));
    try (SparkSession spark = SparkSession.builder().master("local[2]").appName("encode end to end")
        .config("spark.ui.enabled", "false")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator")
        .config("spark.sql.parquet.enableNestedColumnVectorizedReader", "true")
        .getOrCreate()) {
      String model = work + "/model";
      MultiLayerNetwork net = writeModel(model);
      long rows = spark.read().parquet(input).count();
      List<String[]> table = new ArrayList<>();
      for (String engine : InferenceEngines.NAMES) {
        double seconds = median(repeats, () -> new EncodeJob(spark, checks(new EncodeJob.Options()).input(input)
            .model(model).output(work + "/encoded-" + engine).inference(new InferenceSettings(engine, 1))
            .overwrite(true)).run());
        table.add(row("ours: encode job, engine " + engine, rows, seconds));
      }
      double dl4j = median(repeats, () -> feedForwardWithKey(spark, net, input, work + "/encoded-dl4j-spark"));
      table.add(row("dl4j-spark feedForwardWithKey (z_mean only)", rows, dl4j));
      double scan = median(repeats, () -> spark.read().parquet(input).select("id", "features").write()
          .format("noop").mode(SaveMode.Overwrite).save());
      table.add(row("Spark's Parquet scan of id and features alone (noop sink)", rows, scan));
      String oneRow = work + "/one-row";
      spark.read().parquet(input).limit(1).write().mode(SaveMode.Overwrite).parquet(oneRow);
      double fixed = median(repeats, () -> new EncodeJob(spark, checks(new EncodeJob.Options()).input(oneRow)
          .model(model).output(work + "/encoded-one-row").overwrite(true)).run());
      table.add(new String[] {"ours: encode job on 1 row (the fixed cost of a job)", String.format("%.2f", fixed),
          "-"});
      double compute = computeOnly(spark, net, input, repeats);
      table.add(row("compute only: OnnxRuntimeEncoderEngine, 2 threads, no Spark", rows, compute));

      List<String[]> scoring = new ArrayList<>();
      int samples = Integer.parseInt(options.getOrDefault("--reconstruct-samples", "0"));
      for (String engine : samples > 0 ? InferenceEngines.NAMES : List.<String>of()) {
        double seconds = median(repeats, () -> new ReconstructJob(spark, checks(new ReconstructJob.Options())
            .input(input).model(model).output(work + "/reconstructed-" + engine).samples(samples).threshold(500.0)
            .inference(new InferenceSettings(engine, 1)).overwrite(true)).run());
        scoring.add(row("ours: reconstruct job, K = " + samples + ", engine " + engine, rows, seconds));
      }

      System.out.printf("%nEncode end to end, %d rows, local[2], median of %d runs%n%n", rows, repeats);
      System.out.println("| path | seconds | rows/s | share of compute-only ORT |");
      System.out.println("| --- | --- | --- | --- |");
      for (String[] line : table) {
        String share = "-".equals(line[2]) ? "-"
            : String.format("%.0f%%", 100 * compute / Double.parseDouble(line[1]));
        System.out.printf("| %s | %s | %s | %s |%n", line[0], line[1], line[2], share);
      }
      if (!scoring.isEmpty()) {
        System.out.printf("%nReconstruct end to end (reconstruction_error, log_prob, is_anomaly), batch %d%n%n"
            + "| path | seconds | rows/s |%n| --- | --- | --- |%n", SampledScoringOptions.BATCH_SIZE_DEFAULT);
        scoring.forEach(line -> System.out.printf("| %s | %s | %s |%n", line[0], line[1], line[2]));
      }
    }
  }

  private static String require(Map<String, String> options, String key) {
    String value = options.get(key);
    if (value == null) {
      throw new IllegalArgumentException("Missing " + key
          + "; usage: --input DIR --work DIR [--repeats N] [--reconstruct-samples K]");
    }
    return value;
  }

  private static MultiLayerNetwork writeModel(String dir) throws Exception {
    Settings settings = Settings.load(null, null, List.of("train.seed=" + EncodeComputeBenchmark.SEED));
    MultiLayerNetwork net = VaeNetworks.create(EncodeComputeBenchmark.SPEC, TrainSettings.from(settings), 784);
    ModelInfo info = new ModelInfo(ModelInfo.FORMAT_VERSION, new FeatureSchema("id", "label", "features", List.of(),
        784), EncodeComputeBenchmark.SPEC, null, Map.of(), null, "bench", 0, 0, null, null, null, null, null, null);
    new ModelArtifact(info, net, List.of()).save(dir, new org.apache.hadoop.conf.Configuration(), true);
    return net;
  }

  /** dl4j-spark's keyed inference, from the same Parquet to Parquet (on a copy: it releases the parameters it broadcast). */
  private static void feedForwardWithKey(SparkSession spark, MultiLayerNetwork net, String input, String output) {
    JavaPairRDD<Long, INDArray> features = spark.read().parquet(input).select("id", "features").javaRDD()
        .mapToPair(row -> {
          List<Float> values = row.getList(1);
          float[] array = new float[values.size()];
          for (int i = 0; i < array.length; i++) {
            array[i] = values.get(i);
          }
          return new Tuple2<>(row.getLong(0), Nd4j.create(array, new long[] {1, array.length}, 'c'));
        });
    SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(JavaSparkContext.fromSparkContext(spark.sparkContext()),
        net.clone(), new ParameterAveragingTrainingMaster.Builder(1).build());
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("z_mean", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> encoded = spark.createDataFrame(sparkNet.feedForwardWithKey(features, BATCH)
        .map(pair -> RowFactory.create(pair._1(), box(pair._2().toFloatVector()))), schema);
    encoded.write().mode(SaveMode.Overwrite).parquet(output);
  }

  private static Float[] box(float[] values) {
    Float[] boxed = new Float[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return boxed;
  }

  /** Seconds for our ONNX Runtime engine to encode all rows in batches of {@link #BATCH}, in this process. */
  private static double computeOnly(SparkSession spark, MultiLayerNetwork net, String input, int repeats)
      throws Exception {
    // The batches are cut before timing: the figure is the engine's alone. Rows are streamed from the executors
    // into the batches, so any input that fits in the heap as floats can be measured.
    List<float[]> batches = new ArrayList<>();
    float[] next = new float[BATCH * 784];
    int filled = 0;
    Iterator<Row> rows = spark.read().parquet(input).select("features").toLocalIterator();
    while (rows.hasNext()) {
      List<Float> values = rows.next().getList(0);
      for (int i = 0; i < 784; i++) {
        next[filled * 784 + i] = values.get(i);
      }
      if (++filled == BATCH) {
        batches.add(next);
        next = new float[BATCH * 784];
        filled = 0;
      }
    }
    if (filled > 0) {
      batches.add(Arrays.copyOf(next, filled * 784));
    }
    try (EncoderEngine engine = InferenceEngines.create(InferenceEngines.ONNXRUNTIME, net, 2)) {
      return median(repeats, () -> {
        for (float[] batch : batches) {
          engine.encodeJoint(batch, batch.length / 784);
        }
      });
    }
  }

  @FunctionalInterface
  private interface Run {
    void run() throws Exception;
  }

  private static double median(int repeats, Run run) throws Exception {
    run.run();
    double[] seconds = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      run.run();
      seconds[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(seconds);
    return seconds[repeats / 2];
  }

  private static String[] row(String name, long rows, double seconds) {
    return new String[] {name, String.format("%.2f", seconds), String.format("%,.0f", rows / seconds)};
  }
}
