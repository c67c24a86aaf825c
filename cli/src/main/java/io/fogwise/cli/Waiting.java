package io.fogwise.cli;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps a long-running component alive until the JVM is asked to stop (SIGTERM, Ctrl-C).
 *
 * <p>The shutdown hook is registered <em>before</em> the component starts: a signal that arrives
 * while it is still starting is held until the start is over, and then the component is closed
 * like after any other signal. (Registering the hook after the start lost such a signal: the JVM
 * was already shutting down, the registration failed with "Shutdown in progress" and the
 * component was never closed.) Use it as
 * <pre>{@code
 * try (Waiting waiting = Waiting.onSignals("cloud")) {
 *   CloudService cloud = CloudService.start(config);
 *   waiting.until(cloud);
 * }
 * }</pre>
 */
final class Waiting implements AutoCloseable {
  /** How long a signal waits for a component to finish starting and then stopping. */
  static final Duration STOP_GRACE = Duration.ofSeconds(60);

  private final String name;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private final AtomicReference<String> reason = new AtomicReference<>();
  private final Thread hook;

  private Waiting(String name) {
    this.name = name;
    this.hook = new Thread(() -> {
      stopRequested.countDown();
      try {
        if (!finished.await(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          System.err.println(name + ": did not stop within " + STOP_GRACE.toSeconds() + " s; exiting anyway");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name + "-shutdown");
  }

  /** Registers the shutdown hook now, before the component is started. */
  static Waiting onSignals(String name) {
    Waiting w = new Waiting(name);
    Runtime.getRuntime().addShutdownHook(w.hook);
    return w;
  }

  /** Blocks until a signal, then closes {@code component}. */
  void until(AutoCloseable component) throws InterruptedException {
    untilOr(component, new CompletableFuture<>());
  }

  /**
   * Like {@link #until}, but also returns when {@code failed} completes (the component stopped on
   * its own and the process should exit): with its reason, or null after a signal. The component
   * is closed either way.
   */
  String untilOr(AutoCloseable component, CompletionStage<String> failed) throws InterruptedException {
    failed.thenAccept(why -> {
      reason.set(why);
      stopRequested.countDown();
    });
    try {
      stopRequested.await();
    } finally {
      try {
        component.close();
      } catch (Exception e) {
        System.err.println(name + ": error while stopping: " + e.getMessage());
      }
    }
    return reason.get();
  }

  /** Releases a waiting signal and, outside a shutdown, unregisters the hook. */
  @Override
  public void close() {
    finished.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run: it returns now that finished is counted down
    }
  }
}
