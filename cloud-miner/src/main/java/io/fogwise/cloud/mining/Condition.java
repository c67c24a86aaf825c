package io.fogwise.cloud.mining;

import java.util.Objects;

/**
 * One test on a path of the tree: {@code feature <= threshold} or {@code feature > threshold}.
 *
 * @param feature the feature
 * @param atMost true for {@code <=}, false for {@code >}
 * @param threshold the split value, rounded to the feature's precision
 */
public record Condition(Feature feature, boolean atMost, double threshold) {
  public Condition {
    Objects.requireNonNull(feature, "feature");
    if (!Double.isFinite(threshold)) {
      throw new IllegalArgumentException("threshold of " + feature + " must be finite, got " + threshold);
    }
  }

  /** Whether {@code value} passes. */
  public boolean test(double value) {
    return atMost ? value <= threshold : value > threshold;
  }

  /** Whether a missing value (the feature's neutral one) passes. */
  public boolean missingPasses() {
    return test(feature.neutral());
  }

  /** The DRL constraint(s) on the {@code Device} pattern. */
  public String drl() {
    String f = feature.field();
    String test = f + (atMost ? " <= " : " > ") + feature.format(threshold);
    return missingPasses() ? "(" + f + " == null || " + test + ")" : f + " != null, " + test;
  }

  /** For humans, e.g. {@code battery <= 11.8 %}. */
  public String describe() {
    String u = feature.unit().isEmpty() ? "" : " " + feature.unit();
    return feature.label() + (atMost ? " <= " : " > ") + feature.format(threshold) + u;
  }
}
