import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.dataset.file.FileFormat;
import org.apache.arrow.dataset.file.FileSystemDatasetFactory;
import org.apache.arrow.dataset.jni.NativeMemoryPool;
import org.apache.arrow.dataset.scanner.ScanOptions;
import org.apache.arrow.dataset.scanner.Scanner;
import org.apache.arrow.dataset.source.Dataset;
import org.apache.arrow.dataset.source.DatasetFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Probe (not part of the build): Arrow C++'s Parquet reader (Arrow Java dataset API 12.0.1, the Arrow of Spark 3.5)
 * scanning id and features of every file of DIR, one file per task on THREADS Java threads, the features of each
 * batch copied in one block into a float array (what an encode would hand to the engine). Prints seconds per pass.
 *
 * <p>Run (from the repository, after ./mvnw -q -B package -DskipTests):
 * <pre>
 * ./mvnw -q dependency:get -Dartifact=org.apache.arrow:arrow-dataset:12.0.1 -Dtransitive=false
 * ./mvnw -q dependency:get -Dartifact=org.apache.arrow:arrow-c-data:12.0.1 -Dtransitive=false
 * A=~/.m2/repository/org/apache/arrow; CP=$(cat jobs/target/local-classpath.txt)
 * java --add-opens=java.base/java.nio=ALL-UNNAMED \
 *   -cp "$CP:$A/arrow-dataset/12.0.1/arrow-dataset-12.0.1.jar:$A/arrow-c-data/12.0.1/arrow-c-data-12.0.1.jar" \
 *   bench/probes/ArrowParquetScan.java DIR 2
 * </pre>
 */
public class ArrowParquetScan {
  public static void main(String[] args) throws Exception {
    File[] files = new File(args[0]).listFiles((dir, name) -> name.endsWith(".parquet"));
    int threads = Integer.parseInt(args[1]);
    for (int pass = 0; pass < 4; pass++) {
      long start = System.nanoTime();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<Long>> scans = new ArrayList<>();
      for (File file : files) {
        scans.add(pool.submit(() -> scan("file://" + file.getAbsolutePath())));
      }
      long rows = 0;
      for (Future<Long> scan : scans) {
        rows += scan.get();
      }
      pool.shutdown();
      System.out.printf("pass %d: %d rows in %.3f s%n", pass, rows, (System.nanoTime() - start) / 1e9);
    }
  }

  private static long scan(String uri) throws Exception {
    long rows = 0;
    float[] features = new float[32768 * 784];
    try (BufferAllocator allocator = new RootAllocator();
        DatasetFactory factory = new FileSystemDatasetFactory(allocator, NativeMemoryPool.getDefault(),
            FileFormat.PARQUET, uri);
        Dataset dataset = factory.finish();
        Scanner scanner = dataset.newScan(new ScanOptions(32768, Optional.of(new String[] {"id", "features"})));
        ArrowReader reader = scanner.scanBatches()) {
      while (reader.loadNextBatch()) {
        VectorSchemaRoot root = reader.getVectorSchemaRoot();
        Float4Vector values = (Float4Vector) ((ListVector) root.getVector("features")).getDataVector();
        int count = root.getRowCount();
        MemoryUtil.UNSAFE.copyMemory(null, values.getDataBufferAddress(), features, 16L, 4L * count * 784);
        rows += count;
      }
    }
    return rows;
  }
}
