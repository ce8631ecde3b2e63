package dev.sparkvae.jobs.spark;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.FeatureBatcher;
import dev.sparkvae.data.FeatureValidator;
import dev.sparkvae.model.VaeModel;
import dev.sparkvae.model.VaeScorer;
import dev.sparkvae.model.engine.EncoderEngine;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.InputFileBlockHolder;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.unsafe.Platform;

/**
 * Appends VAE outputs to every row of a partition, streaming fixed-size batches through one float buffer: never
 * the whole partition in memory, one model per executor JVM ({@link ExecutorModels}). Works on Spark's internal
 * rows: the features are copied once, from the row straight into the batch buffer, and only the carried input
 * fields are kept until their batch is scored (not whole rows, which hold the wide feature arrays).
 *
 * <p>Outputs, in the order asked: {@code z_mean}, {@code z_log_var} (array&lt;float&gt;), {@code reconstruction_error},
 * {@code log_prob}, {@code negative_elbo} (float), {@code reconstruction} (array&lt;float&gt;), {@code is_anomaly}
 * (reconstruction error above the threshold). When only the latent outputs are asked, neither the decoder nor any
 * sampling runs, and the configured encoder engine (e.g. ONNX Runtime) computes them.
 *
 * <p>A bad row fails the task with a {@link BadRowException} naming its file (the file the scan was reading, from
 * Spark's input-file holder; "(unknown file)" when a shuffle lies between the scan and the scoring), id, column and
 * rule.
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
   * The input rows: their field types, where the id (long) and the features (array&lt;float&gt;, named
   * {@code featuresName} in messages) are, and the fields carried to the output, in order.
   */
  public record InputLayout(DataType[] types, int idIndex, int featuresIndex, String featuresName, int[] carried)
      implements Serializable {}

  /**
   * What to compute.
   *
   * @param outputs output names from {@link #OUTPUTS}
   * @param batchSize rows per forward pass
   * @param samples importance samples for log_prob and negative_elbo
   * @param anomalyThreshold reconstruction error above which a row is an anomaly (used for is_anomaly)
   * @param engineName the {@link dev.sparkvae.model.engine.EncoderEngines} name that computes the latent outputs
   *     when only they are asked for
   * @param engineThreads native threads of that engine per task
   */
  public record Request(List<String> outputs, int batchSize, int samples, double anomalyThreshold, String engineName,
      int engineThreads) implements Serializable {
    public Request {
      outputs = List.copyOf(outputs);
    }

    boolean latentOnly() {
      return outputs.stream().allMatch(o -> o.equals(Z_MEAN) || o.equals(Z_LOG_VAR));
    }
  }

  private final String modelSha256;
  private final Broadcast<byte[]> modelZip;
  private final FeatureValidator validator;
  private final int featureCount;
  private final InputLayout layout;
  private final Request request;

  public RowScoring(String modelSha256, Broadcast<byte[]> modelZip, FeatureValidator validator, int featureCount,
      InputLayout layout, Request request) {
    this.modelSha256 = modelSha256;
    this.modelZip = modelZip;
    this.validator = validator;
    this.featureCount = featureCount;
    this.layout = layout;
    this.request = request;
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

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    return new Scored(rows);
  }

  /** The scored rows of one partition, computed a batch at a time. */
  private final class Scored implements Iterator<InternalRow> {
    private final Iterator<InternalRow> rows;
    private final VaeScorer scorer;
    private final EncoderEngine engine;
    private final int latent;
    private final FeatureBatcher batcher;
    private final int[] carried = layout.carried();
    private final List<String> outputs = request.outputs();
    private final Object[][] pending;
    private final long[] ids;
    private VaeScorer.Scores scores;
    private int size;
    private int next;

    Scored(Iterator<InternalRow> rows) {
      this.rows = rows;
      VaeModel model = ExecutorModels.get(modelSha256, modelZip);
      boolean sampled = outputs.contains(LOG_PROB) || outputs.contains(NEGATIVE_ELBO);
      scorer = new VaeScorer(model, sampled ? request.samples() : 0, outputs.contains(RECONSTRUCTION),
          VaeScorer.seedOf(modelSha256));
      engine = request.latentOnly()
          ? ExecutorModels.engine(modelSha256, modelZip, request.engineName(), request.engineThreads()) : null;
      latent = model.latentSize();
      batcher = new FeatureBatcher(request.batchSize(), featureCount);
      pending = new Object[request.batchSize()][];
      ids = new long[request.batchSize()];
    }

    @Override
    public boolean hasNext() {
      return next < size || rows.hasNext();
    }

    @Override
    public InternalRow next() {
      if (next == size) {
        fill();
      }
      Object[] values = pending[next];
      pending[next] = null;
      for (int o = 0; o < outputs.size(); o++) {
        values[carried.length + o] = value(outputs.get(o), next);
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
        case IS_ANOMALY -> scores.reconstructionError()[r] > request.anomalyThreshold();
        default -> throw new IllegalStateException(output);
      };
    }

    /** Reads the next batch of rows into the buffer and scores it. */
    private void fill() {
      size = 0;
      next = 0;
      while (size < pending.length && rows.hasNext()) {
        InternalRow row = rows.next();
        ids[size] = readFeatures(row);
        // Spark reuses the row object of a scan: copy what is kept.
        Object[] values = new Object[carried.length + outputs.size()];
        for (int c = 0; c < carried.length; c++) {
          int field = carried[c];
          values[c] = row.isNullAt(field) ? null : InternalRow.copyValue(row.get(field, layout.types()[field]));
        }
        pending[size++] = values;
        batcher.commit();
      }
      if (size == 0) {
        throw new NoSuchElementException();
      }
      if (engine != null) {
        scores = new VaeScorer.Scores(engine.encodeJoint(batcher.buffer(), size), null, null, null, null);
        batcher.clear();
      } else {
        scores = scorer.score(batcher.take(), Arrays.copyOf(ids, size));
      }
    }

    /** Copies the row's features into the batch buffer and checks them; returns the row id. */
    private long readFeatures(InternalRow row) {
      if (row.isNullAt(layout.idIndex())) {
        throw new BadRowException(currentFile(), "null", FeatureFrames.ID, "the id is null");
      }
      long id = row.getLong(layout.idIndex());
      String problem = row.isNullAt(layout.featuresIndex()) ? "features are null"
          : copyFeatures(row.getArray(layout.featuresIndex()), batcher.buffer(), batcher.nextOffset());
      if (problem == null) {
        problem = validator.valueProblem(batcher.buffer(), batcher.nextOffset());
      }
      if (problem != null) {
        throw new BadRowException(currentFile(), id, layout.featuresName(), problem);
      }
      return id;
    }

    /** Copies the features into {@code buffer} at {@code offset}; the problem (count, null element) or null. */
    private String copyFeatures(ArrayData array, float[] buffer, int offset) {
      int count = array.numElements();
      if (count != featureCount) {
        return "has " + count + " features, expected " + featureCount;
      }
      if (array instanceof UnsafeArrayData unsafe) {
        // Layout: [count: 8 bytes][null bits: 8-byte words][values]; null words are checked whole, and the values
        // copied in one go.
        Object base = unsafe.getBaseObject();
        long header = UnsafeArrayData.calculateHeaderPortionInBytes(count);
        for (long word = 8; word < header; word += 8) {
          if (Platform.getLong(base, unsafe.getBaseOffset() + word) != 0) {
            return nullElement(array);
          }
        }
        Platform.copyMemory(base, unsafe.getBaseOffset() + header, buffer, Platform.FLOAT_ARRAY_OFFSET + 4L * offset,
            4L * count);
        return null;
      }
      for (int i = 0; i < count; i++) {
        if (array.isNullAt(i)) {
          return nullElement(array);
        }
        buffer[offset + i] = array.getFloat(i);
      }
      return null;
    }
  }

  private static String nullElement(ArrayData array) {
    int i = 0;
    while (!array.isNullAt(i)) {
      i++;
    }
    return "value null at index " + i;
  }

  private static String currentFile() {
    String file = InputFileBlockHolder.getInputFilePath().toString();
    return file.isEmpty() ? "(unknown file)" : file;
  }
}
