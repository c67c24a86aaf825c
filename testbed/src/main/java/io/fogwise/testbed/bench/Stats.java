package io.fogwise.testbed.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Small order statistics over a list of measurements. */
final class Stats {
  private Stats() {}

  static long median(List<Long> values) {
    return percentile(values, 50);
  }

  static long max(List<Long> values) {
    return values.isEmpty() ? 0 : Collections.max(values);
  }

  static long min(List<Long> values) {
    return values.isEmpty() ? 0 : Collections.min(values);
  }

  /** Nearest-rank percentile. */
  static long percentile(List<Long> values, double p) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }
}
