package io.fogwise.cli;

import java.util.concurrent.CountDownLatch;

/** Keeps a long-running component alive until the JVM is asked to stop (SIGTERM, Ctrl-C). */
final class Waiting {
  private Waiting() {}

  static void untilShutdown(AutoCloseable component, String name) throws InterruptedException {
    untilShutdownOr(component, new java.util.concurrent.CompletableFuture<>(), name);
  }

  /**
   * Like {@link #untilShutdown}, but also returns when {@code failed} completes (the component
   * stopped on its own and the process should exit): with its reason, or null after a shutdown.
   */
  static String untilShutdownOr(AutoCloseable component, java.util.concurrent.CompletionStage<String> failed,
      String name) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<String> reason = new java.util.concurrent.atomic.AtomicReference<>();
    failed.thenAccept(why -> {
      reason.set(why);
      stopped.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        component.close();
      } catch (Exception e) {
        System.err.println(name + ": error while stopping: " + e.getMessage());
      } finally {
        stopped.countDown();
      }
    }, name + "-shutdown"));
    stopped.await();
    return reason.get();
  }
}
