package io.fogwise.edge.services;

import io.fogwise.protocol.AppMessage;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscriber's raw measurements, one CSV line per message received, for benchmarks that need
 * each transmission (the paper's Fig. 4) rather than the published summaries:
 * {@code arrivalNanos,publisher,service,epoch,number,latencyMicros,outcome}, where arrival and
 * latency are the subscriber's own wall clock minus the publisher's, and outcome is the
 * {@link SequenceTracker.Outcome} (ACCEPTED, DUPLICATE, ...) or COPY (the second copy of a message
 * that arrived on both servers during a hub move, dropped). Written to
 * {@code <dir>/<service>-e<epoch>.csv}, flushed with every statistics report and at stop.
 */
final class LatencyLog {
  private static final Logger LOG = LoggerFactory.getLogger(LatencyLog.class);
  static final String HEADER = "arrivalNanos,publisher,service,epoch,number,latencyMicros,outcome";

  private final BufferedWriter out;
  private final Path file;
  private boolean failed;

  private LatencyLog(BufferedWriter out, Path file) {
    this.out = out;
    this.file = file;
  }

  static LatencyLog open(Path dir, String service, long epoch) {
    Path file = dir.resolve(service + "-e" + epoch + ".csv");
    try {
      Files.createDirectories(dir);
      BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
      w.write(HEADER);
      w.newLine();
      return new LatencyLog(w, file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the latency log " + file + ": " + e.getMessage(), e);
    }
  }

  /** One line; {@code outcome} null for a hub move's copy. */
  synchronized void write(long arrivalNanos, AppMessage m, SequenceTracker.Outcome outcome) {
    if (failed) {
      return;
    }
    try {
      out.write(arrivalNanos + "," + m.publisherId() + "," + m.service() + "," + m.epoch() + "," + m.number() + ","
          + (arrivalNanos - m.epochNanos()) / 1_000 + "," + (outcome == null ? "COPY" : outcome));
      out.newLine();
    } catch (IOException e) {
      fail(e);
    }
  }

  synchronized void flush() {
    if (failed) {
      return;
    }
    try {
      out.flush();
    } catch (IOException e) {
      fail(e);
    }
  }

  private void fail(IOException e) {
    failed = true;
    LOG.warn("latency log {} stopped: {}", file, e.toString());
  }
}
