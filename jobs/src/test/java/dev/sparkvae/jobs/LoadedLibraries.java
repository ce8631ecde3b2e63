package dev.sparkvae.jobs;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** What the test JVM actually loaded, read from where its classes come from rather than from our build. */
public final class LoadedLibraries {
  private LoadedLibraries() {}

  /**
   * The version of the library that holds {@code type}: the directory of its jar, which Maven's repository layout
   * names after the version ({@code .../spark-core_2.12/3.5.9/spark-core_2.12-3.5.9.jar}).
   */
  public static String version(Class<?> type) {
    try {
      Path jar = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!jar.getFileName().toString().startsWith(jar.getParent().getParent().getFileName() + "-")) {
        throw new IllegalStateException(type + " does not come from a jar in a Maven repository: " + jar);
      }
      return jar.getParent().getFileName().toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
