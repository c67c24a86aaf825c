package io.fogwise.cli;

import java.util.concurrent.CountDownLatch;

/** Keeps a long-running component alive until the JVM is asked to stop (SIGTERM, Ctrl-C). */
final class Waiting {
  private Waiting() {}

  static void untilShutdown(AutoCloseable component, String name) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
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
  }
}
