package dev.sparkvae.jobs.spark;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.FeatureBatcher;
import dev.sparkvae.data.FeatureValidator;
import dev.sparkvae.model.VaeModel;
import dev.sparkvae.model.VaeScorer;
import dev.sparkvae.model.engine.EncoderEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Appends VAE outputs to every row of a partition, streaming fixed-size batches through one float buffer: never
 * the whole partition in memory, one model per executor JVM ({@link ExecutorModels}). Works on Spark's internal
 * rows, so features arrive and outputs leave as primitive float arrays, never as boxed objects.
 *
 * <p>Outputs, in the order asked: {@code z_mean}, {@code z_log_var} (array&lt;float&gt;), {@code reconstruction_error},
 * {@code log_prob}, {@code negative_elbo} (float), {@code reconstruction} (array&lt;float&gt;), {@code is_anomaly}
 * (reconstruction error above the threshold). When only the latent outputs are asked, neither the decoder nor any
 * sampling runs, and the configured encoder engine (e.g. ONNX Runtime) computes them.
 */
public final class RowScoring implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  public static final String Z_MEAN = "z_mean";
  public static final String Z_LOG_VAR = "z_log_var";
  public static final String RECONSTRUCTION_ERROR = "reconstruction_error";
  public static final String LOG_PROB = "log_prob";
  public static final String NEGATIVE_ELBO = "negative_elbo";
  public static final String RECONSTRUCTION = "reconstruction";
  public static final String IS_ANOMALY = "is_anomaly";
  public static final List<String> OUTPUTS = List.of(Z_MEAN, Z_LOG_VAR, RECONSTRUCTION_ERROR, LOG_PROB,
      NEGATIVE_ELBO, RECONSTRUCTION, IS_ANOMALY);

  /**
   * The input rows: their field types, and where the id (long), the features (array&lt;float&gt;, named
   * {@code featuresName} in messages) and the source file (string) are.
   */
  public record InputLayout(DataType[] types, int idIndex, int featuresIndex, String featuresName, int fileIndex)
      implements java.io.Serializable {}

  private final String modelSha256;
  private final Broadcast<byte[]> modelZip;
  private final FeatureValidator validator;
  private final int featureCount;
  private final InputLayout layout;
  private final List<String> outputs;
  private final int batchSize;
  private final int samples;
  private final double anomalyThreshold;
  private final String engineName;
  private final int engineThreads;

  /**
   * @param outputs output names from {@link #OUTPUTS}
   * @param samples importance samples for log_prob and negative_elbo
   * @param anomalyThreshold reconstruction error above which a row is an anomaly (used for is_anomaly)
   * @param engineName the {@link dev.sparkvae.model.engine.EncoderEngines} name that computes the latent outputs
   *     when only they are asked for
   * @param engineThreads native threads of that engine per task
   */
  public RowScoring(String modelSha256, Broadcast<byte[]> modelZip, FeatureValidator validator, int featureCount,
      InputLayout layout, List<String> outputs, int batchSize, int samples, double anomalyThreshold,
      String engineName, int engineThreads) {
    this.modelSha256 = modelSha256;
    this.modelZip = modelZip;
    this.validator = validator;
    this.featureCount = featureCount;
    this.layout = layout;
    this.outputs = List.copyOf(outputs);
    this.batchSize = batchSize;
    this.samples = samples;
    this.anomalyThreshold = anomalyThreshold;
    this.engineName = engineName;
    this.engineThreads = engineThreads;
  }

  /** The Spark field of an output. */
  public static StructField field(String output) {
    return switch (output) {
      case Z_MEAN, Z_LOG_VAR, RECONSTRUCTION -> DataTypes.createStructField(output,
          DataTypes.createArrayType(DataTypes.FloatType, false), false);
      case RECONSTRUCTION_ERROR, LOG_PROB, NEGATIVE_ELBO -> DataTypes.createStructField(output, DataTypes.FloatType,
          false);
      case IS_ANOMALY -> DataTypes.createStructField(output, DataTypes.BooleanType, false);
      default -> throw new IllegalArgumentException("Unknown output " + output + "; known outputs: " + OUTPUTS);
    };
  }

  private boolean latentOnly() {
    return outputs.stream().allMatch(o -> o.equals(Z_MEAN) || o.equals(Z_LOG_VAR));
  }

  /** The checked features of one input row; throws {@link BadRowException} naming file, id, column and rule. */
  private float[] features(InternalRow row) {
    int fileIndex = layout.fileIndex();
    String file = row.isNullAt(fileIndex) || row.getUTF8String(fileIndex).numBytes() == 0 ? "(unknown file)"
        : row.getUTF8String(fileIndex).toString();
    if (row.isNullAt(layout.idIndex())) {
      throw new BadRowException(file, "null", FeatureFrames.ID, "the id is null");
    }
    long id = row.getLong(layout.idIndex());
    float[] values = null;
    if (!row.isNullAt(layout.featuresIndex())) {
      ArrayData array = row.getArray(layout.featuresIndex());
      for (int i = 0; i < array.numElements(); i++) {
        if (array.isNullAt(i)) {
          throw new BadRowException(file, id, layout.featuresName(), "value null at index " + i);
        }
      }
      values = array.toFloatArray();
    }
    String problem = validator.problem(values);
    if (problem != null) {
      throw new BadRowException(file, id, layout.featuresName(), problem);
    }
    return values;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    VaeModel model = ExecutorModels.get(modelSha256, modelZip);
    boolean sampled = outputs.contains(LOG_PROB) || outputs.contains(NEGATIVE_ELBO);
    VaeScorer scorer = new VaeScorer(model, sampled ? samples : 0, outputs.contains(RECONSTRUCTION),
        VaeScorer.seedOf(modelSha256));
    EncoderEngine engine = latentOnly() ? ExecutorModels.engine(modelSha256, modelZip, engineName, engineThreads)
        : null;
    int latent = model.latentSize();
    FeatureBatcher batcher = new FeatureBatcher(batchSize, featureCount);
    List<InternalRow> inputs = new ArrayList<>(batchSize);
    int width = layout.types().length;
    return new Iterator<>() {
      private VaeScorer.Scores scores;
      private int next;

      @Override
      public boolean hasNext() {
        return next < inputs.size() || rows.hasNext();
      }

      @Override
      public InternalRow next() {
        if (next == inputs.size()) {
          fill();
        }
        InternalRow input = inputs.get(next);
        Object[] values = new Object[width + outputs.size()];
        for (int i = 0; i < width; i++) {
          values[i] = input.get(i, layout.types()[i]);
        }
        for (int o = 0; o < outputs.size(); o++) {
          values[width + o] = value(outputs.get(o), next);
        }
        next++;
        return new GenericInternalRow(values);
      }

      private Object value(String output, int r) {
        int joint = r * 2 * latent;
        return switch (output) {
          case Z_MEAN -> UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange(scores.joint(), joint, joint + latent));
          case Z_LOG_VAR -> UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange(scores.joint(), joint + latent,
              joint + 2 * latent));
          case RECONSTRUCTION_ERROR -> scores.reconstructionError()[r];
          case LOG_PROB -> scores.logProb()[r];
          case NEGATIVE_ELBO -> scores.negativeElbo()[r];
          case RECONSTRUCTION -> UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange(scores.reconstruction(),
              r * featureCount, (r + 1) * featureCount));
          case IS_ANOMALY -> scores.reconstructionError()[r] > anomalyThreshold;
          default -> throw new IllegalStateException(output);
        };
      }

      private void fill() {
        inputs.clear();
        next = 0;
        while (rows.hasNext() && inputs.size() < batchSize) {
          // Spark reuses the row object of a scan: keep a copy.
          InternalRow row = rows.next().copy();
          batcher.add(features(row));
          inputs.add(row);
        }
        if (inputs.isEmpty()) {
          throw new NoSuchElementException();
        }
        if (engine != null) {
          scores = new VaeScorer.Scores(engine.encodeJoint(batcher.buffer(), batcher.size()), null, null, null, null);
          batcher.clear();
        } else {
          long[] ids = new long[inputs.size()];
          for (int i = 0; i < ids.length; i++) {
            ids[i] = inputs.get(i).getLong(layout.idIndex());
          }
          scores = scorer.score(batcher.take(), ids);
        }
      }
    };
  }
}
