package io.fogwise.cli;

import io.fogwise.testsupport.NatsServer;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Keeps {@code fogwise hub}'s nats-server for as long as the hub runs: exits with the
 * server's status when it dies, or starts it again on the same port and store with a back-off;
 * stops it on SIGTERM or Ctrl-C. That the server never outlives the hub, even a hub killed
 * with SIGKILL, is {@link NatsServer}'s watchdog.
 */
final class HubSupervisor {
  private final boolean restart;
  private final RestartBackoff backoff;
  private final PrintWriter out;
  private final PrintWriter err;
  private final String label;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final Object lock = new Object();
  private NatsServer current; // guarded by lock
  private boolean stopping; // guarded by lock

  HubSupervisor(NatsServer first, boolean restart, RestartBackoff backoff, PrintWriter out, PrintWriter err) {
    this("hub", first, restart, backoff, out, err);
  }

  /** A supervisor whose lines start with {@code label} (e.g. "leaf node"). */
  HubSupervisor(String label, NatsServer first, boolean restart, RestartBackoff backoff, PrintWriter out,
      PrintWriter err) {
    this.label = Objects.requireNonNull(label, "label");
    this.current = Objects.requireNonNull(first, "first");
    this.restart = restart;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
  }

  /**
   * Supervises until the hub is asked to stop (returns 0) or, without {@code --restart}, until
   * nats-server dies (returns its exit status).
   */
  int run() throws InterruptedException {
    Thread hook = new Thread(this::stop, label.replace(' ', '-') + "-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    announce(current);
    int failures = 0;
    while (true) {
      NatsServer dead = current();
      long startedAt = System.nanoTime();
      int status = awaitExit(dead);
      if (isStopping()) {
        return 0;
      }
      String why = "nats-server (pid " + dead.pid() + ") exited with " + NatsServer.describeStatus(status)
          + dead.lastProblem().map(p -> ": " + p).orElse("");
      if (!restart) {
        err.println(label + ": " + why + "; the hub exits with its status (use --restart to restart it instead)");
        err.flush();
        dead.close();
        removeHook(hook);
        return status;
      }
      failures = backoff.failuresAfter(failures, Duration.ofNanos(System.nanoTime() - startedAt));
      NatsServer next = null;
      while (next == null) {
        Duration delay = backoff.delay(failures);
        err.println(label + ": " + why + "; restarting it in " + delay.toMillis() + " ms");
        err.flush();
        if (stopRequested.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
          return 0;
        }
        try {
          next = dead.restarted();
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
          why = "restart failed: " + e.getMessage();
          failures++;
        }
      }
      synchronized (lock) {
        if (stopping) {
          next.close();
          return 0;
        }
        current = next;
      }
      announce(next);
    }
  }

  private static int awaitExit(NatsServer server) throws InterruptedException {
    try {
      return server.onExit().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot learn how nats-server exited", e);
    }
  }

  private void announce(NatsServer server) {
    out.println(label + ": nats-server (pid " + server.pid() + ") listening on " + server.url()
        + (server.leafPort() >= 0 ? "; leaf nodes on 127.0.0.1:" + server.leafPort() : "")
        + (server.mqttPort() >= 0 ? "; MQTT on " + (server.isSecure() ? "ssl" : "tcp") + "://127.0.0.1:"
            + server.mqttPort() : ""));
    out.flush();
  }

  /** The client URL of the server now running (the same port after every restart). */
  String currentUrl() {
    return current().url();
  }

  private NatsServer current() {
    synchronized (lock) {
      return current;
    }
  }

  private boolean isStopping() {
    synchronized (lock) {
      return stopping;
    }
  }

  /** Stops nats-server cleanly (the shutdown hook: SIGTERM, Ctrl-C). */
  void stop() {
    NatsServer server;
    synchronized (lock) {
      if (stopping) {
        return;
      }
      stopping = true;
      server = current;
    }
    stopRequested.countDown();
    out.println(label + ": stopping nats-server (pid " + server.pid() + ")");
    out.flush();
    server.close();
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or has run
    }
  }
}
