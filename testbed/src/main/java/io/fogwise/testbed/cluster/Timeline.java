package io.fogwise.testbed.cluster;

import java.io.PrintStream;
import java.util.Locale;

/** Prints what happens, stamped with seconds since the start: the demo's readable timeline. */
public final class Timeline {
  private final long t0 = System.nanoTime();
  private final PrintStream out;

  public Timeline(PrintStream out) {
    this.out = out;
  }

  /** A timeline that prints nothing. */
  public static Timeline silent() {
    return new Timeline(new PrintStream(java.io.OutputStream.nullOutputStream()));
  }

  public synchronized void log(String format, Object... args) {
    double s = (System.nanoTime() - t0) / 1e9;
    out.printf(Locale.ROOT, "[%7.3fs] %s%n", s, String.format(Locale.ROOT, format, args));
    out.flush();
  }

  /** Nanoseconds (System.nanoTime) when the timeline started. */
  public long startNanos() {
    return t0;
  }
}
