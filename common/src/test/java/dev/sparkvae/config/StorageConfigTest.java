package dev.sparkvae.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

class StorageConfigTest {
  @Test
  void theS3aExampleLoadsAsARecipeAndOnlySetsHadoopSettingsOfS3a() {
    Settings settings = Settings.load(null, new File("../conf/storage/s3a.conf"), List.of());
    assertThat(settings.stringMap("cluster.spark-conf"))
        .containsEntry("spark.hadoop.fs.s3a.experimental.input.fadvise", "random")
        .containsEntry("spark.hadoop.fs.s3a.connection.maximum", "64");
    assertThat(settings.stringMap("cluster.spark-conf").keySet())
        .filteredOn(key -> !Settings.defaults().stringMap("cluster.spark-conf").containsKey(key))
        .allSatisfy(key -> assertThat(key).startsWith("spark.hadoop.fs.s3a."));
  }
}
