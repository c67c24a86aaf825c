package io.fogwise.gateway.core.scenario;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Scenario times: {@code 250ms}, {@code 2s}, {@code 2.5s}, {@code 1m}, {@code 1h}, or {@code 1m30s}. */
final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  private Durations() {}

  /** Milliseconds of {@code text}, or an IllegalArgumentException that says what is accepted. */
  static long parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a duration is required, e.g. 250ms, 2s, 1.5s, 1m, 1m30s");
    }
    String t = text.strip().toLowerCase(Locale.ROOT);
    Matcher m = PART.matcher(t);
    int pos = 0;
    double total = 0;
    while (m.find()) {
      if (m.start() != pos) {
        break;
      }
      double v = Double.parseDouble(m.group(1));
      total += switch (m.group(2)) {
        case "ms" -> v;
        case "s" -> v * 1000;
        case "m" -> v * 60_000;
        default -> v * 3_600_000;
      };
      pos = m.end();
    }
    if (pos != t.length() || pos == 0) {
      throw new IllegalArgumentException("'" + text + "' is not a duration; write e.g. 250ms, 2s, 1.5s, 1m, 1m30s");
    }
    return Math.round(total);
  }

  /** {@code 2.800s}. */
  static String format(long millis) {
    return String.format(Locale.ROOT, "%d.%03ds", millis / 1000, millis % 1000);
  }
}
