package dev.sparkvae.scoring;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.FeatureBatcher;
import dev.sparkvae.inference.Attribution;
import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.inference.EncoderEngine;
import dev.sparkvae.input.RowCounters;
import dev.sparkvae.rows.InternalRows;
import dev.sparkvae.rows.RowReader;
import dev.sparkvae.runtime.FaultInjection;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Appends VAE outputs to every row of a partition, streaming fixed-size batches through one float buffer: never
 * the whole partition in memory, one model per executor JVM ({@link ExecutorModels}). Works on Spark's internal
 * rows: the features are copied once, from the row straight into the batch buffer, and only the carried input
 * fields are kept until their batch is scored (not whole rows, which hold the wide feature arrays).
 *
 * <p>Outputs, in the order asked: {@code z_mean}, {@code z_log_var} (array&lt;float&gt;), {@code reconstruction_error},
 * {@code anomaly_score}, {@code log_prob}, {@code negative_elbo} (float), {@code reconstruction} (array&lt;float&gt;),
 * {@code is_anomaly} (the model's threshold score above the threshold), {@code attribution}
 * ({@link #attributionType()}: the features contributing most to the anomaly score, largest first, see
 * {@link BatchScorer}). When only the latent outputs are asked, neither the decoder nor any
 * sampling runs, and the configured engine's encoder computes them; otherwise the engine's scorer
 * ({@link dev.sparkvae.inference.InferenceEngines#scorer}) computes them all.
 *
 * <p>A bad row ({@link RowReader}) fails the task with a {@link BadRowException} naming its file, id, column and
 * rule, or, when {@link Request#skipBadRows()}, is left out; {@link RowCounters} count the rows read and left out.
 */
public final class RowScoring implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  public static final String Z_MEAN = "z_mean";
  public static final String Z_LOG_VAR = "z_log_var";
  public static final String RECONSTRUCTION_ERROR = "reconstruction_error";
  public static final String ANOMALY_SCORE = "anomaly_score";
  public static final String LOG_PROB = "log_prob";
  public static final String NEGATIVE_ELBO = "negative_elbo";
  public static final String RECONSTRUCTION = "reconstruction";
  public static final String IS_ANOMALY = "is_anomaly";
  /** Not one of {@link #OUTPUTS}: asked for by {@link Request#attributionFeatures()}. */
  public static final String ATTRIBUTION = "attribution";
  public static final List<String> OUTPUTS = List.of(Z_MEAN, Z_LOG_VAR, RECONSTRUCTION_ERROR, ANOMALY_SCORE,
      LOG_PROB, NEGATIVE_ELBO, RECONSTRUCTION, IS_ANOMALY);

  /**
   * What to compute.
   *
   * @param outputs output names from {@link #OUTPUTS}
   * @param batchSize rows per forward pass
   * @param samples importance samples for log_prob and negative_elbo
   * @param anomalyThreshold the score above which a row is an anomaly (used for is_anomaly)
   * @param thresholdScore the score compared with the threshold: {@link #ANOMALY_SCORE}, or
   *     {@link #RECONSTRUCTION_ERROR} for a model whose threshold was taken over that
   * @param engineName the {@link dev.sparkvae.inference.InferenceEngines} name of the engine of every output
   * @param engineThreads native threads of that engine per task
   * @param skipBadRows leave bad rows out (counted) instead of failing
   * @param attributionFeatures the features per row of {@link #ATTRIBUTION}, which {@code outputs} names when it is
   *     above 0
   * @param featureNames the names of the features in the attribution; empty for none (the field is then null)
   */
  public record Request(List<String> outputs, int batchSize, int samples, double anomalyThreshold,
      String thresholdScore, String engineName, int engineThreads, boolean skipBadRows, int attributionFeatures,
      List<String> featureNames) implements Serializable {
    public Request {
      outputs = List.copyOf(outputs);
      featureNames = List.copyOf(featureNames);
    }

    boolean latentOnly() {
      return outputs.stream().allMatch(o -> o.equals(Z_MEAN) || o.equals(Z_LOG_VAR));
    }
  }

  private final String modelSha256;
  private final Broadcast<byte[]> modelZip;
  private final RowReader features;
  private final DataType[] types;
  private final int[] carried;
  private final Request request;
  private final RowCounters counters;

  /**
   * @param features reads and checks the id and features of an input row
   * @param types the input's field types
   * @param carried the input fields copied to the output, in order, before the outputs
   */
  public RowScoring(String modelSha256, Broadcast<byte[]> modelZip, RowReader features, DataType[] types,
      int[] carried, Request request, RowCounters counters) {
    this.modelSha256 = modelSha256;
    this.modelZip = modelZip;
    this.features = features;
    this.types = types;
    this.carried = carried;
    this.request = request;
    this.counters = counters;
  }

  /** The Spark field of an output. */
  public static StructField field(String output) {
    return switch (output) {
      case Z_MEAN, Z_LOG_VAR, RECONSTRUCTION -> DataTypes.createStructField(output,
          DataTypes.createArrayType(DataTypes.FloatType, false), false);
      case RECONSTRUCTION_ERROR, ANOMALY_SCORE, LOG_PROB, NEGATIVE_ELBO -> DataTypes.createStructField(output,
          DataTypes.FloatType, false);
      case IS_ANOMALY -> DataTypes.createStructField(output, DataTypes.BooleanType, false);
      case ATTRIBUTION -> DataTypes.createStructField(output, attributionType(), false);
      default -> throw new IllegalArgumentException("Unknown output " + output + "; known outputs: " + OUTPUTS);
    };
  }

  /**
   * The type of {@link #ATTRIBUTION}: array&lt;struct&lt;feature: string (the feature's column name; null when the
   * features are one array column), index: int, contribution: float (nats), value: float, expected: float (the
   * reconstruction mean, in the input's units)&gt;&gt;.
   */
  public static ArrayType attributionType() {
    return DataTypes.createArrayType(DataTypes.createStructType(List.of(
        DataTypes.createStructField("feature", DataTypes.StringType, true),
        DataTypes.createStructField("index", DataTypes.IntegerType, false),
        DataTypes.createStructField("contribution", DataTypes.FloatType, false),
        DataTypes.createStructField("value", DataTypes.FloatType, false),
        DataTypes.createStructField("expected", DataTypes.FloatType, false))), false);
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    return new Scored(rows);
  }

  /** The scored rows of one partition, computed a batch at a time. */
  private final class Scored implements Iterator<InternalRow> {
    private final Iterator<InternalRow> rows;
    private final BatchScorer scorer;
    private final EncoderEngine engine;
    private final int latent;
    private final int featureCount = features.featureCount();
    private final FeatureBatcher batcher;
    private final List<String> outputs = request.outputs();
    private final Object[][] pending;
    private final long[] ids;
    private final Object[] names;
    private BatchScorer.Scores scores;
    private int size;
    private int next;

    Scored(Iterator<InternalRow> rows) {
      this.rows = rows;
      boolean sampled = outputs.contains(LOG_PROB) || outputs.contains(NEGATIVE_ELBO);
      engine = request.latentOnly()
          ? ExecutorModels.engine(modelSha256, modelZip, request.engineName(), request.engineThreads()) : null;
      scorer = request.latentOnly() ? null : ExecutorModels.scorer(modelSha256, modelZip, request.engineName(),
          request.engineThreads(), sampled ? request.samples() : 0, outputs.contains(RECONSTRUCTION),
          outputs.contains(ATTRIBUTION) ? request.attributionFeatures() : 0);
      names = request.featureNames().stream().map(InternalRows::text).toArray();
      latent = ExecutorModels.get(modelSha256, modelZip).latentSize();
      batcher = new FeatureBatcher(request.batchSize(), featureCount);
      pending = new Object[request.batchSize()][];
      ids = new long[request.batchSize()];
    }

    @Override
    public boolean hasNext() {
      if (next == size && rows.hasNext()) {
        fill();
      }
      return next < size;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Object[] values = pending[next];
      pending[next] = null;
      for (int o = 0; o < outputs.size(); o++) {
        values[carried.length + o] = value(outputs.get(o), next);
      }
      next++;
      return InternalRows.row(values);
    }

    private Object value(String output, int r) {
      int joint = r * 2 * latent;
      return switch (output) {
        case Z_MEAN -> InternalRows.floats(Arrays.copyOfRange(scores.joint(), joint, joint + latent));
        case Z_LOG_VAR -> InternalRows.floats(Arrays.copyOfRange(scores.joint(), joint + latent, joint + 2 * latent));
        case RECONSTRUCTION_ERROR -> scores.reconstructionError()[r];
        case ANOMALY_SCORE -> scores.anomalyScore()[r];
        case LOG_PROB -> scores.logProb()[r];
        case NEGATIVE_ELBO -> scores.negativeElbo()[r];
        case RECONSTRUCTION -> InternalRows.floats(Arrays.copyOfRange(scores.reconstruction(), r * featureCount,
            (r + 1) * featureCount));
        case IS_ANOMALY -> (request.thresholdScore().equals(ANOMALY_SCORE) ? scores.anomalyScore()
            : scores.reconstructionError())[r] > request.anomalyThreshold();
        case ATTRIBUTION -> attribution(r);
        default -> throw new IllegalStateException(output);
      };
    }

    /** The attribution of row {@code r} as an array of structs ({@link #attributionType()}). */
    private Object attribution(int r) {
      Attribution attribution = scores.attribution();
      InternalRow[] features = new InternalRow[attribution.features()];
      for (int i = 0; i < features.length; i++) {
        int at = r * features.length + i;
        int index = attribution.index()[at];
        features[i] = InternalRows.row(new Object[] {names.length == 0 ? null : names[index], index,
            attribution.contribution()[at], attribution.value()[at], attribution.expected()[at]});
      }
      return InternalRows.structs(features);
    }

    /** Reads the next batch of good rows into the buffer and scores it; none when the input ends first. */
    private void fill() {
      FaultInjection.at("score", -1);
      size = 0;
      next = 0;
      long read = 0;
      while (size < pending.length && rows.hasNext()) {
        InternalRow row = rows.next();
        read++;
        BadRowException bad = features.read(row, batcher.buffer(), batcher.nextOffset());
        if (bad != null) {
          if (!request.skipBadRows()) {
            throw bad;
          }
          counters.addBad(1);
          continue;
        }
        ids[size] = features.id(row);
        // Spark reuses the row object of a scan: copy what is kept.
        Object[] values = new Object[carried.length + outputs.size()];
        for (int c = 0; c < carried.length; c++) {
          int field = carried[c];
          values[c] = InternalRows.copy(row, field, types[field]);
        }
        pending[size++] = values;
        batcher.commit();
      }
      counters.addRead(read);
      if (size == 0) {
        return;
      }
      scores = engine != null
          ? new BatchScorer.Scores(engine.encodeJoint(batcher.buffer(), size), null, null, null, null, null, null)
          : scorer.score(batcher.buffer(), size, ids);
      batcher.clear();
    }
  }
}
