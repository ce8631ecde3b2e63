package dev.sparkvae.model;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.HadoopPaths;
import dev.sparkvae.io.JsonFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model directory: {@code model.zip} (DL4J ModelSerializer, with updater state; the network takes raw rows, its
 * {@link FeatureScaling} folded in), {@code model.json}
 * ({@link ModelInfo}, including the sha256 of model.zip), {@code metrics.json} (one {@link EpochMetrics} per
 * epoch) and the served graphs {@code encoder.onnx} and {@code decoder.onnx} ({@link ServingOnnx}, recorded in
 * {@link ModelInfo#onnx()}; absent, and onnx null, for a network they cannot express, with a warning). Paths go
 * through Hadoop's FileSystem, so {@code hdfs://} and {@code s3a://} work as local paths do.
 *
 * <p>Writing is atomic: the files go to a hidden sibling directory that is renamed into place when complete, with
 * any {@link ExtraFiles} a caller adds (train adds {@code plots/}) and an empty {@code _SUCCESS} last. An existing
 * directory is replaced only when {@code overwrite} is set. Loading verifies the checksum.
 */
public record ModelArtifact(ModelInfo info, MultiLayerNetwork network, List<EpochMetrics> metrics) {
  private static final Logger LOG = LoggerFactory.getLogger(ModelArtifact.class);
  public static final String MODEL_ZIP = "model.zip";
  public static final String MODEL_JSON = "model.json";
  public static final String METRICS_JSON = "metrics.json";
  /** The empty marker of a complete directory, as Spark writes for its outputs (schedulers wait for it). */
  public static final String SUCCESS = "_SUCCESS";
  /** The time of every entry of model.zip: the earliest a zip can record. */
  private static final LocalDateTime ZIP_ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

  /**
   * Writes this artifact to {@code dir}; {@link ModelInfo#modelSha256()} is filled in from the written zip and
   * {@link ModelInfo#onnx()} from the graphs written (null when the network cannot be exported).
   *
   * @return the artifact as written (with the checksum and the ONNX record)
   * @throws IOException when {@code dir} exists and {@code overwrite} is false, or on a write failure
   */
  public ModelArtifact save(String dir, Configuration hadoopConf, boolean overwrite) throws IOException {
    return save(dir, hadoopConf, overwrite, (fs, staging) -> { });
  }

  /** Writes more files into a model directory before it is committed (e.g. plots), so they appear with it. */
  @FunctionalInterface
  public interface ExtraFiles {
    void write(FileSystem fs, Path staging) throws IOException;
  }

  /** {@link #save(String, Configuration, boolean)}, with {@code extra} files written before the commit. */
  public ModelArtifact save(String dir, Configuration hadoopConf, boolean overwrite, ExtraFiles extra)
      throws IOException {
    Verified written = Verified.of(info, network, metrics).write(dir, hadoopConf, overwrite, network, extra);
    return new ModelArtifact(written.info(), network, metrics);
  }

  /**
   * Reads and verifies a model directory.
   *
   * @throws IOException naming the directory and the problem: missing, unreadable model.json, checksum mismatch
   */
  public static ModelArtifact load(String dir, Configuration hadoopConf) throws IOException {
    Verified files = readVerified(dir, hadoopConf);
    return new ModelArtifact(files.info(), files.network(), files.metrics());
  }

  /** The files of a model directory, read once and verified, without restoring the network. */
  public record Verified(ModelInfo info, List<EpochMetrics> metrics, byte[] modelZip) {
    /**
     * Writes these files to {@code dir} as a model directory, model.zip byte for byte (so its checksum, which seeds
     * the scoring noise, stays the same), with the served ONNX graphs of its network.
     *
     * @throws IOException when {@code dir} exists and {@code overwrite} is false, or on a write failure
     */
    public void save(String dir, Configuration hadoopConf, boolean overwrite) throws IOException {
      write(dir, hadoopConf, overwrite, network(), (fs, staging) -> { });
    }

    /** The network of model.zip, restored. */
    public MultiLayerNetwork network() throws IOException {
      return ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(modelZip), true);
    }

    /** Writes the directory: model.zip, the ONNX graphs of {@code network}, model.json, metrics.json, extra. */
    private Verified write(String dir, Configuration hadoopConf, boolean overwrite, MultiLayerNetwork network,
        ExtraFiles extra) throws IOException {
      AtomicDirectory.checkWritable(dir, overwrite, hadoopConf);
      Path staging = new Path(AtomicDirectory.staging(dir));
      FileSystem fs = staging.getFileSystem(hadoopConf);
      try {
        try (OutputStream out = fs.create(new Path(staging, MODEL_ZIP), false)) {
          out.write(modelZip);
        }
        ModelInfo written = info.withOnnx(writeOnnx(fs, staging, network));
        writeJson(fs, new Path(staging, MODEL_JSON), written);
        writeJson(fs, new Path(staging, METRICS_JSON), metrics);
        extra.write(fs, staging);
        fs.create(new Path(staging, SUCCESS), false).close();
        AtomicDirectory.commit(staging.toString(), dir, hadoopConf);
        return new Verified(written, metrics, modelZip);
      } finally {
        AtomicDirectory.discard(staging.toString(), hadoopConf);
      }
    }

    /**
     * The files of a network not yet written: model.zip serialized once (with its updater state), its checksum in
     * {@code info}.
     */
    public static Verified of(ModelInfo info, MultiLayerNetwork network, List<EpochMetrics> metrics)
        throws IOException {
      byte[] zip = zipOf(network);
      return new Verified(info.withModelSha256(sha256(zip)), List.copyOf(metrics), zip);
    }
  }

  /**
   * The sha256 that model.json records for {@code network} saved as a model. The same network always gives the same
   * model.zip, so the same checksum, which seeds the scoring noise ({@code BatchScorer.seedOf}).
   */
  public static String sha256Of(MultiLayerNetwork network) throws IOException {
    return sha256(zipOf(network));
  }

  /**
   * model.zip of {@code network}, with its updater state: DL4J's ModelSerializer format with the entries' times
   * fixed. ModelSerializer stamps them with the clock, which would give the same network another checksum, and so
   * other scores, every time it is saved.
   */
  private static byte[] zipOf(MultiLayerNetwork network) throws IOException {
    ByteArrayOutputStream serialized = new ByteArrayOutputStream();
    ModelSerializer.writeModel(network, serialized, true);
    ByteArrayOutputStream zip = new ByteArrayOutputStream(serialized.size());
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(serialized.toByteArray()));
        ZipOutputStream out = new ZipOutputStream(zip)) {
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        ZipEntry fixed = new ZipEntry(entry.getName());
        fixed.setTimeLocal(ZIP_ENTRY_TIME);
        out.putNextEntry(fixed);
        in.transferTo(out);
        out.closeEntry();
      }
    }
    return zip.toByteArray();
  }

  /**
   * Reads model.json alone: what a model expects, without the bytes of its network.
   *
   * @throws IOException naming the directory and the problem: missing, unreadable model.json
   */
  public static ModelInfo readInfo(String dir, Configuration hadoopConf) throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(hadoopConf);
    requireFiles(fs, root, dir, MODEL_JSON);
    return parseInfo(fs, root, dir);
  }

  private static void requireFiles(FileSystem fs, Path root, String dir, String... names) throws IOException {
    if (!HadoopPaths.isDirectory(fs, root)) {
      throw new IOException("Cannot load model from " + dir + ": the directory does not exist");
    }
    for (String name : names) {
      if (!HadoopPaths.isFile(fs, new Path(root, name))) {
        throw new IOException("Cannot load model from " + dir + ": " + name + " is missing");
      }
    }
  }

  private static ModelInfo parseInfo(FileSystem fs, Path root, String dir) throws IOException {
    try (InputStream in = fs.open(new Path(root, MODEL_JSON))) {
      return JsonFiles.MAPPER.readValue(in, ModelInfo.class);
    } catch (IOException e) {
      throw new IOException("Cannot load model from " + dir + ": model.json is not valid (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Reads model.json, metrics.json and the bytes of model.zip, and checks the zip against its recorded sha256.
   *
   * @throws IOException naming the directory and the problem: missing, unreadable model.json, checksum mismatch
   */
  public static Verified readVerified(String dir, Configuration hadoopConf) throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(hadoopConf);
    requireFiles(fs, root, dir, MODEL_JSON, MODEL_ZIP);
    ModelInfo info = parseInfo(fs, root, dir);
    List<EpochMetrics> metrics = List.of();
    if (HadoopPaths.isFile(fs, new Path(root, METRICS_JSON))) {
      try (InputStream in = fs.open(new Path(root, METRICS_JSON))) {
        metrics = JsonFiles.MAPPER.readValue(in, new TypeReference<List<EpochMetrics>>() {});
      }
    }
    MessageDigest digest = sha256Digest();
    byte[] bytes;
    try (InputStream in = new DigestInputStream(fs.open(new Path(root, MODEL_ZIP)), digest)) {
      bytes = in.readAllBytes();
    } catch (ChecksumException e) {
      throw new IOException("Cannot load model from " + dir + ": model.zip is corrupt (" + e.getMessage() + ")", e);
    }
    String actual = HexFormat.of().formatHex(digest.digest());
    if (!actual.equals(info.modelSha256())) {
      throw new IOException(String.format(
          "Cannot load model from %s: model.zip has sha256 %s but model.json records %s (corrupt or replaced)",
          dir, actual, info.modelSha256()));
    }
    return new Verified(info, metrics, bytes);
  }

  /** Writes the served graphs of {@code network} into {@code staging}; null, with a warning, when it cannot. */
  private static OnnxExports writeOnnx(FileSystem fs, Path staging, MultiLayerNetwork network) throws IOException {
    List<ServingOnnx.Export> graphs;
    try {
      graphs = List.of(ServingOnnx.encoder(network), ServingOnnx.decoder(network));
    } catch (IllegalArgumentException e) {
      LOG.warn("Saving the model without {} and {}: {}", ServingOnnx.ENCODER_FILE, ServingOnnx.DECODER_FILE,
          e.getMessage());
      return null;
    }
    for (ServingOnnx.Export graph : graphs) {
      try (OutputStream out = fs.create(new Path(staging, graph.graph().file()), false)) {
        out.write(graph.bytes());
      }
    }
    return new OnnxExports(graphs.get(0).graph(), graphs.get(1).graph());
  }

  private static void writeJson(FileSystem fs, Path file, Object value) throws IOException {
    try (OutputStream out = fs.create(file, false)) {
      JsonFiles.MAPPER.writeValue(out, value);
    }
  }

  private static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha256Digest().digest(bytes));
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }
}
