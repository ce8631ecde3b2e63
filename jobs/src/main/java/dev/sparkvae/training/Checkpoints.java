package dev.sparkvae.training;

import com.fasterxml.jackson.core.type.TypeReference;
import com.typesafe.config.ConfigRenderOptions;
import dev.sparkvae.config.Settings;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.AtomicFile;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.FeatureScaling;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training checkpoints in one directory (any Hadoop path): {@code epoch-NNNN/} with {@code model.zip} (the network
 * with its updater state, DL4J ModelSerializer; the network's configuration carries the epoch and iteration
 * counters) and {@code checkpoint.json} (epoch, the recipe it was trained with, the metrics so far, the sha256 of
 * model.zip) and, with an outer step on the averaged updates, {@code outer-velocity.bin} (its momentum, ND4J's
 * binary form, its sha256 in checkpoint.json), each written to a hidden sibling and renamed into place; the newest
 * {@code kept} are kept. Beside them, {@code metrics.json} holds the metrics of every finished epoch, rewritten
 * (atomically) after each epoch so that users can watch a long run.
 *
 * <p>The recipe is the settings that decide what training computes (the network, the data, the seed, the batch and
 * worker layout: anything that would make a resumed run differ from an uninterrupted one); {@link #newest} refuses a
 * checkpoint whose recipe differs from the run's, naming the setting. Danger: nothing here locks the directory; two
 * runs writing to it at once spoil each other's checkpoints.
 */
public final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final String MODEL_ZIP = "model.zip";
  private static final String CHECKPOINT_JSON = "checkpoint.json";
  private static final String OUTER_VELOCITY = "outer-velocity.bin";
  private static final String METRICS_JSON = "metrics.json";
  /** Settings a resumed run may change: they do not alter what the remaining epochs compute from a checkpoint. */
  private static final List<String> RESUMABLE_CHANGES = List.of("train.epochs", "train.learning-rate",
      "train.checkpoint-dir", "train.checkpoint-every-epochs", "train.checkpoints-kept", "train.eval-batch-size",
      "train.prefetch-batches", "train.data-cache");

  /** A checkpoint read back; {@code outerVelocity} null when the run had no outer momentum. */
  record Restored(int epoch, MultiLayerNetwork network, INDArray outerVelocity, List<EpochMetrics> metrics,
      String path) {}

  /** What checkpoint.json holds; {@code outerVelocitySha256} null when there is no outer-velocity.bin. */
  record State(int epoch, Map<String, String> recipe, List<EpochMetrics> metrics, String modelSha256,
      String outerVelocitySha256) {}

  private final String dir;
  private final int every;
  private final int kept;
  private final Configuration hadoopConf;

  /**
   * @param every a checkpoint after every this many epochs (and after the last)
   * @param kept how many of the newest checkpoints are kept
   */
  public Checkpoints(String dir, int every, int kept, Configuration hadoopConf) {
    this.dir = dir;
    this.every = every;
    this.kept = kept;
    this.hadoopConf = hadoopConf;
  }

  /**
   * The recipe of a run, what a checkpoint must share with it to be resumed: the settings of data, vae and train
   * (but {@link #RESUMABLE_CHANGES}), the worker count, the features and the statistics of the training rows.
   */
  static Map<String, String> recipeKey(Settings settings, FeatureSchema schema, FeatureScaling scaling, int workers) {
    Map<String, String> key = new TreeMap<>();
    for (String group : List.of("data", "vae", "train")) {
      settings.config().getConfig(group).entrySet().forEach(entry -> key.put(group + "." + entry.getKey(),
          entry.getValue().render(ConfigRenderOptions.concise())));
    }
    RESUMABLE_CHANGES.forEach(key::remove);
    key.put("workers", Integer.toString(workers));
    key.put("features", schema.describe());
    if (!scaling.isNone()) {
      // The statistics of the training rows: other rows would train another model.
      key.put("scaling", scaling.method() + " " + Integer.toHexString(Arrays.hashCode(scaling.shift()))
          + Integer.toHexString(Arrays.hashCode(scaling.scale())));
    }
    return key;
  }

  String dir() {
    return dir;
  }

  /**
   * Readies the directory for a run: kept for {@code resume}; else emptied when {@code overwrite}.
   *
   * @throws IOException when the directory holds an earlier run's checkpoints and neither is asked for
   */
  public void prepare(boolean resume, boolean overwrite) throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(hadoopConf);
    if (resume || !fs.exists(root)) {
      return;
    }
    if (!overwrite) {
      throw new IOException("Cannot start training: " + dir + " holds the checkpoints of an earlier run (pass "
          + "--resume to continue it, or --overwrite to start over)");
    }
    fs.delete(root, true);
  }

  /**
   * Records a finished epoch: metrics.json always, a checkpoint after every {@code every} epochs and after
   * {@code lastEpoch}; then deletes all but the newest {@code kept} checkpoints.
   *
   * @param outerVelocity the outer step's momentum, or null for none
   */
  void epochDone(int epoch, int lastEpoch, MultiLayerNetwork net, INDArray outerVelocity,
      List<EpochMetrics> metrics, Map<String, String> recipe) throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(hadoopConf);
    fs.mkdirs(root);
    if (epoch % every == 0 || epoch == lastEpoch) {
      write(fs, epoch, net, outerVelocity, metrics, recipe);
      List<Path> checkpoints = checkpoints(fs);
      for (Path old : checkpoints.subList(Math.min(kept, checkpoints.size()), checkpoints.size())) {
        fs.delete(old, true);
      }
    }
    AtomicFile.write(new Path(root, METRICS_JSON).toString(), JsonFiles.MAPPER.writeValueAsBytes(metrics), hadoopConf);
  }

  private void write(FileSystem fs, int epoch, MultiLayerNetwork net, INDArray outerVelocity,
      List<EpochMetrics> metrics, Map<String, String> recipe) throws IOException {
    String target = new Path(dir, String.format("epoch-%04d", epoch)).toString();
    String staging = AtomicDirectory.staging(target);
    try {
      MessageDigest digest = sha256Digest();
      try (OutputStream out = new DigestOutputStream(fs.create(new Path(staging, MODEL_ZIP), false), digest)) {
        ModelSerializer.writeModel(net, out, true);
      }
      String modelSha256 = HexFormat.of().formatHex(digest.digest());
      String velocitySha256 = null;
      if (outerVelocity != null) {
        MessageDigest velocityDigest = sha256Digest();
        try (DataOutputStream out = new DataOutputStream(new DigestOutputStream(
            fs.create(new Path(staging, OUTER_VELOCITY), false), velocityDigest))) {
          Nd4j.write(outerVelocity, out);
        }
        velocitySha256 = HexFormat.of().formatHex(velocityDigest.digest());
      }
      State state = new State(epoch, new TreeMap<>(recipe), List.copyOf(metrics), modelSha256, velocitySha256);
      try (OutputStream out = fs.create(new Path(staging, CHECKPOINT_JSON), false)) {
        JsonFiles.MAPPER.writeValue(out, state);
      }
      AtomicDirectory.commit(staging, target, hadoopConf);
      LOG.info("train: checkpoint of epoch {} written to {}", epoch, target);
    } finally {
      AtomicDirectory.discard(staging, hadoopConf);
    }
  }

  /**
   * The newest checkpoint that reads back whole (a checkpoint with a missing, unreadable or mismatching file is
   * passed over with a warning), or empty when there is none.
   *
   * @param recipe the settings of this run; a checkpoint's must be the same
   * @throws IOException when the newest whole checkpoint was made with another recipe (the message names the
   *     setting, its value there and now)
   */
  Optional<Restored> newest(Map<String, String> recipe) throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(hadoopConf);
    if (!fs.exists(root)) {
      return Optional.empty();
    }
    for (Path checkpoint : checkpoints(fs)) {
      State state;
      byte[] zip;
      byte[] velocity = null;
      try {
        try (InputStream in = fs.open(new Path(checkpoint, CHECKPOINT_JSON))) {
          state = JsonFiles.MAPPER.readValue(in, new TypeReference<State>() {});
        }
        try (InputStream in = fs.open(new Path(checkpoint, MODEL_ZIP))) {
          zip = in.readAllBytes();
        }
        if (state.outerVelocitySha256() != null) {
          try (InputStream in = fs.open(new Path(checkpoint, OUTER_VELOCITY))) {
            velocity = in.readAllBytes();
          }
        }
      } catch (IOException e) {
        LOG.warn("train: passing over checkpoint {}: it cannot be read ({})", checkpoint, e.getMessage());
        continue;
      }
      if (!matches(zip, state.modelSha256()) || velocity != null && !matches(velocity, state.outerVelocitySha256())) {
        LOG.warn("train: passing over checkpoint {}: a file does not match the sha256 it recorded", checkpoint);
        continue;
      }
      requireSameRecipe(checkpoint, state.recipe(), recipe);
      MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(zip), true);
      INDArray outerVelocity = velocity == null ? null
          : Nd4j.read(new DataInputStream(new ByteArrayInputStream(velocity)));
      return Optional.of(new Restored(state.epoch(), net, outerVelocity, state.metrics(), checkpoint.toString()));
    }
    return Optional.empty();
  }

  private static void requireSameRecipe(Path checkpoint, Map<String, String> then, Map<String, String> now)
      throws IOException {
    TreeMap<String, String> keys = new TreeMap<>(then);
    now.forEach(keys::putIfAbsent);
    for (String key : keys.keySet()) {
      String before = then.getOrDefault(key, "(unset)");
      String after = now.getOrDefault(key, "(unset)");
      if (!before.equals(after)) {
        throw new IOException(String.format("Cannot resume from %s: %s is %s now but was %s in the checkpoint "
            + "(set it back, or start over with --overwrite)", checkpoint, key, after, before));
      }
    }
  }

  /** The newest checkpoint directory, whole or not, or empty when there is none. */
  Optional<String> newestPath() throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(hadoopConf);
    return fs.exists(root) ? checkpoints(fs).stream().findFirst().map(Path::toString) : Optional.empty();
  }

  /** The checkpoint directories, newest first. */
  private List<Path> checkpoints(FileSystem fs) throws IOException {
    List<Path> found = new ArrayList<>();
    for (FileStatus status : fs.listStatus(new Path(dir))) {
      if (status.isDirectory() && status.getPath().getName().matches("epoch-\\d{4,}")) {
        found.add(status.getPath());
      }
    }
    found.sort((a, b) -> Integer.compare(epochOf(b), epochOf(a)));
    return found;
  }

  private static int epochOf(Path checkpoint) {
    return Integer.parseInt(checkpoint.getName().substring("epoch-".length()));
  }

  private static boolean matches(byte[] bytes, String sha256) {
    return HexFormat.of().formatHex(sha256Digest().digest(bytes)).equals(sha256);
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }
}
