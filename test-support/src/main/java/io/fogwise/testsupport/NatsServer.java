package io.fogwise.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code nats-server} child process with JetStream on, a free port and its own
 * temporary store: the messaging hub of the demo, the benchmarks and every integration test.
 */
public final class NatsServer implements AutoCloseable {
  /** The command that installs the server on Debian-based machines. */
  public static final String INSTALL_HINT = "apt-get update && apt-get install -y nats-server";

  private final Process process;
  private final int port;
  private final Path storeDir;
  private final boolean ownsStore;
  private final Path log;

  private NatsServer(Process process, int port, Path storeDir, boolean ownsStore, Path log) {
    this.process = process;
    this.port = port;
    this.storeDir = storeDir;
    this.ownsStore = ownsStore;
    this.log = log;
  }

  /** Starts a server on a free loopback port with a temporary JetStream store. */
  public static NatsServer start() {
    return start(0, null);
  }

  /**
   * Starts a server.
   *
   * @param port the port, or 0 for a free one
   * @param storeDir the JetStream store, or null for a temporary one removed on close
   */
  public static NatsServer start(int port, Path storeDir) {
    Path binary =
        find()
            .orElseThrow(
                () -> new IllegalStateException("nats-server not found on PATH; install it with: " + INSTALL_HINT));
    try {
      int p = port == 0 ? freePort() : port;
      boolean owns = storeDir == null;
      Path store = owns ? Files.createTempDirectory("fogwise-nats-") : storeDir;
      Files.createDirectories(store);
      Path log = store.resolve("nats-server.log");
      List<String> cmd = new ArrayList<>(List.of(
          binary.toString(), "-a", "127.0.0.1", "-p", Integer.toString(p), "-js", "-sd", store.toString()));
      Process proc =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      NatsServer server = new NatsServer(proc, p, store, owns, log);
      server.awaitListening(10_000);
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start nats-server", e);
    }
  }

  /** The {@code nats-server} binary on PATH (or in /usr/sbin), if installed. */
  public static Optional<Path> find() {
    String path = System.getenv().getOrDefault("PATH", "");
    List<String> dirs = new ArrayList<>(List.of(path.split(java.io.File.pathSeparator)));
    dirs.add("/usr/sbin");
    dirs.add("/usr/local/bin");
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(d, "nats-server");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** A port free on loopback right now. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitListening(long timeoutMillis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("nats-server exited with " + process.exitValue() + "; see " + log);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        try {
          process.waitFor(20, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    close();
    throw new IllegalStateException("nats-server did not listen on port " + port + " within " + timeoutMillis + " ms");
  }

  public int port() {
    return port;
  }

  /** The client URL, e.g. {@code nats://127.0.0.1:4222}. */
  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Stops the server and removes a temporary store. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    if (ownsStore) {
      try (Stream<Path> s = Files.walk(storeDir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // best effort: a temp dir left behind is harmless
      }
    }
  }
}
