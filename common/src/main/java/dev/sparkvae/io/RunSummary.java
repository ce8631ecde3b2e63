package dev.sparkvae.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * What one run of a job did, for schedulers such as Airflow and for people: written as JSON with
 * {@code --summary FILE} and logged at the end of every run, successful or not.
 *
 * @param job import | train | encode | reconstruct | evaluate | plot
 * @param status {@code succeeded} or {@code failed}
 * @param error the one-line reason of a failure; null on success
 * @param startedAt ISO-8601 start time
 * @param finishedAt ISO-8601 end time
 * @param inputs named input paths, e.g. {@code input}, {@code test}, {@code model}
 * @param outputs named output paths, e.g. {@code output}, {@code model}, {@code plots}
 * @param counts what the job counted, e.g. {@code rows_written}, {@code train_examples}: an open map, each job adds
 *     its own names
 * @param timings seconds by phase; {@code total_seconds} (the whole run) always
 * @param rowsPerSecond the job's rows (see {@link Builder#throughput}) per second of the whole run; null when the job
 *     processes no rows
 * @param environment where it ran: {@code spark_master}, {@code spark_app_id}, {@code spark_version},
 *     {@code nd4j_backend} and {@code blas_vendor} of the driver, {@code cluster_backend}, ...
 * @param versions library versions
 */
public record RunSummary(String job, String status, String error, String startedAt, String finishedAt,
    Map<String, String> inputs, Map<String, String> outputs, Map<String, Long> counts, Map<String, Double> timings,
    Double rowsPerSecond, Map<String, String> environment, Map<String, String> versions) {
  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";

  /** A summary of a run of {@code job} that starts now. */
  public static Builder start(String job) {
    return new Builder(job);
  }

  /** This summary as JSON with snake_case keys on one line (for logs). */
  public String toJson() {
    try {
      return JsonFiles.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes this summary as indented JSON to {@code file} (any Hadoop path) atomically, replacing an existing file. */
  public void write(String file, Configuration hadoopConf) throws IOException {
    AtomicFile.write(file, JsonFiles.MAPPER.writeValueAsBytes(this), hadoopConf);
  }

  /** Collects a run's facts as it goes; {@link #succeeded()} or {@link #failed} ends it. Not thread-safe. */
  public static final class Builder {
    private final String job;
    private final Instant startedAt = Instant.now();
    private final long startNanos = System.nanoTime();
    private final Map<String, String> inputs = new LinkedHashMap<>();
    private final Map<String, String> outputs = new LinkedHashMap<>();
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private final Map<String, Double> timings = new LinkedHashMap<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final Map<String, String> versions = new LinkedHashMap<>();
    private Long throughputRows;

    private Builder(String job) {
      this.job = job;
    }

    /** Records a named input path; a null path (an option not given) is left out. */
    public Builder input(String name, String path) {
      if (path != null) {
        inputs.put(name, path);
      }
      return this;
    }

    /** Records a named output path; a null path is left out. */
    public Builder output(String name, String path) {
      if (path != null) {
        outputs.put(name, path);
      }
      return this;
    }

    public Builder count(String name, long value) {
      counts.put(name, value);
      return this;
    }

    public Builder timing(String name, double seconds) {
      timings.put(name, seconds);
      return this;
    }

    /** The rows the job processed, for {@code rows_per_second}. */
    public Builder throughput(long rows) {
      throughputRows = rows;
      return this;
    }

    public Builder environment(String name, String value) {
      environment.put(name, value);
      return this;
    }

    public Builder versions(Map<String, String> values) {
      versions.putAll(values);
      return this;
    }

    public RunSummary succeeded() {
      return build(SUCCEEDED, null);
    }

    public RunSummary failed(String error) {
      return build(FAILED, error);
    }

    private RunSummary build(String status, String error) {
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      Map<String, Double> allTimings = new LinkedHashMap<>();
      allTimings.put("total_seconds", seconds);
      allTimings.putAll(timings);
      Double rate = throughputRows == null || seconds <= 0 ? null : throughputRows / seconds;
      return new RunSummary(job, status, error, startedAt.toString(), Instant.now().toString(), copy(inputs),
          copy(outputs), copy(counts), copy(allTimings), rate, copy(environment), copy(versions));
    }

    private static <V> Map<String, V> copy(Map<String, V> map) {
      return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
  }
}
