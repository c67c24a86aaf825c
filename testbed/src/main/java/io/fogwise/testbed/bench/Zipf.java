package io.fogwise.testbed.bench;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * A Zipf distribution over ranks {@code 0 .. n-1}: rank {@code k} (0-based) is drawn with
 * probability {@code (k+1)^-s / H(n, s)}, where {@code H(n, s) = sum_{i=1..n} i^-s}. Sampling is a
 * binary search in the precomputed cumulative distribution (n doubles), exact for any exponent.
 */
final class Zipf {
  private final int n;
  private final double exponent;
  private final double[] cdf;

  Zipf(int n, double exponent) {
    if (n < 1) {
      throw new IllegalArgumentException("a Zipf distribution needs at least 1 rank, got " + n);
    }
    if (!(exponent >= 0) || Double.isInfinite(exponent)) {
      throw new IllegalArgumentException("the Zipf exponent must be >= 0 and finite, got " + exponent);
    }
    this.n = n;
    this.exponent = exponent;
    this.cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.pow(i + 1, -exponent);
      cdf[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      cdf[i] /= sum;
    }
    cdf[n - 1] = 1.0;
  }

  int size() {
    return n;
  }

  double exponent() {
    return exponent;
  }

  /** A rank, 0 the most popular. */
  int sample(RandomGenerator random) {
    double u = random.nextDouble();
    int i = Arrays.binarySearch(cdf, u);
    // not found: -(insertion point) - 1, the first rank whose cumulative share exceeds u
    return i >= 0 ? Math.min(i + 1, n - 1) : -i - 1;
  }

  /** The probability of rank {@code k} (0-based). */
  double probability(int k) {
    return k == 0 ? cdf[0] : cdf[k] - cdf[k - 1];
  }

  /**
   * The share of requests that go to the {@code top} most popular ranks: the best hit ratio any
   * cache of {@code top} items can reach when requests are independent draws from this
   * distribution (it would hold exactly those ranks).
   */
  double topShare(int top) {
    if (top < 0) {
      throw new IllegalArgumentException("top must be >= 0, got " + top);
    }
    return top == 0 ? 0 : cdf[Math.min(top, n) - 1];
  }
}
