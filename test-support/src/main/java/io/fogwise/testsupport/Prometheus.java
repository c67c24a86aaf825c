package io.fogwise.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Prometheus server (Debian's {@code prometheus} binary) for tests: a generated
 * configuration that scrapes the given targets every second, a temporary storage directory,
 * a free loopback port. Outside CI a missing binary skips the test with the reason; with
 * {@code CI=true} it fails it ({@code .ci/run} installs the package). A small shell watchdog
 * stops the server when this JVM goes away without closing it.
 */
public final class Prometheus implements AutoCloseable {
  /** How to install it, for the skip (or failure) message. */
  public static final String INSTALL_HINT = "apt-get install -y prometheus";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
  private static final String WATCHDOG = "\"$0\" \"$@\" & p=$!; cat >/dev/null; kill $p; wait $p";

  private final Process watchdog;
  private final Path dir;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Prometheus(Process watchdog, Path dir, int port) {
    this.watchdog = watchdog;
    this.dir = dir;
    this.port = port;
  }

  /** The binary, or the test is skipped (failed in CI) with the reason. */
  public static Path require() {
    Optional<Path> binary = find();
    if (binary.isEmpty()) {
      String why = "prometheus is not installed; install it with: " + INSTALL_HINT;
      if (DockerEngine.ci()) {
        Assertions.fail("CI=true and " + why);
      }
      Assumptions.abort(why);
    }
    return binary.get();
  }

  /** The {@code prometheus} binary on PATH (or in /usr/bin), if installed. */
  public static Optional<Path> find() {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)));
    dirs.add("/usr/bin");
    return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, "prometheus")).filter(Files::isExecutable)
        .findFirst();
  }

  /**
   * Starts Prometheus scraping {@code targets} ({@code host:port}, path {@code /metrics}) as
   * job {@code job} every second, and returns once it is ready.
   */
  public static Prometheus start(String job, List<String> targets) {
    Path binary = require();
    try {
      Path dir = Files.createTempDirectory("fogwise-prometheus");
      StringBuilder config = new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
          + "scrape_configs:\n  - job_name: '" + job + "'\n    scrape_timeout: 1s\n    static_configs:\n"
          + "      - targets: [");
      for (int i = 0; i < targets.size(); i++) {
        config.append(i == 0 ? "" : ", ").append('\'').append(targets.get(i)).append('\'');
      }
      config.append("]\n");
      Path configFile = Files.writeString(dir.resolve("prometheus.yml"), config, StandardCharsets.UTF_8);
      int port = NatsServer.freePort();
      Path log = dir.resolve("prometheus.log");
      Process p = new ProcessBuilder("/bin/sh", "-c", WATCHDOG, binary.toString(),
          "--config.file=" + configFile, "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
          .redirectOutput(Redirect.appendTo(log.toFile())).redirectError(Redirect.appendTo(log.toFile())).start();
      Prometheus prometheus = new Prometheus(p, dir, port);
      prometheus.awaitReady(log);
      return prometheus;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start prometheus", e);
    }
  }

  private void awaitReady(Path log) throws IOException {
    Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!watchdog.isAlive()) {
        throw new IllegalStateException("prometheus exited during start-up; its log:\n" + Files.readString(log));
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/-/ready")).timeout(Duration.ofSeconds(2))
            .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for prometheus", e);
      }
      try {
        watchdog.waitFor(100, TimeUnit.MILLISECONDS); // returns early only if it exited
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for prometheus", e);
      }
    }
    close();
    throw new IllegalStateException("prometheus was not ready within " + STARTUP_TIMEOUT.toSeconds() + " s; see " + log);
  }

  /** Where its HTTP API answers. */
  public URI url(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** The JSON answer of {@code GET /api/v1/query?query=promql} (an instant query at the current time). */
  public String query(String promql) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/api/v1/query?query="
        + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("prometheus answered " + r.statusCode() + " to " + promql + ": " + r.body());
    }
    return r.body();
  }

  /** Stops the server and removes its storage. */
  @Override
  public void close() {
    try {
      watchdog.getOutputStream().close(); // the watchdog kills prometheus and waits for it
      if (!watchdog.waitFor(30, TimeUnit.SECONDS)) {
        watchdog.descendants().forEach(ProcessHandle::destroyForcibly);
        watchdog.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      watchdog.descendants().forEach(ProcessHandle::destroyForcibly);
      watchdog.destroyForcibly();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind
    }
  }
}
