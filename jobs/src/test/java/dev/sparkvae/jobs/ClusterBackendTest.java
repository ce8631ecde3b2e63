package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.cli.Cli;
import dev.sparkvae.cluster.Nd4jBackendInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every job checks at start that ND4J loaded the backend its cluster profile asks for. */
class ClusterBackendTest {
  @TempDir Path dir;

  @Test
  void aGpuProfileOnTheCpuBackendFailsBeforeAnyWork() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> args = new ArrayList<>(List.of(TestSpark.LOCAL_CLUSTER));
    args.addAll(List.of("train", "--input", TestSpark.SAMPLE.resolve("train").toString(), "--model",
        dir.resolve("m").toString(), "--set", "cluster.backend=gpu"));
    int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));

    assertThat(code).isEqualTo(1);
    assertThat(err.toString().trim()).isEqualTo("sparkvae train failed: Cluster profile local asks for the GPU "
        + "backend (cluster.backend = gpu, from --set cluster.backend=gpu: 1), but on the driver (pid "
        + ProcessHandle.current().pid() + ") ND4J loaded its CPU backend (" + Nd4jBackendInfo.current().describe()
        + "): run the GPU jar (built with ./mvnw -Pgpu package) on nodes with an NVIDIA GPU and the CUDA 11.6 runtime");
    assertThat(dir.resolve("m")).doesNotExist();
  }
}
