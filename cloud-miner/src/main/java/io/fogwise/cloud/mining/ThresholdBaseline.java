package io.fogwise.cloud.mining;

import io.fogwise.cloud.history.History;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's baseline for mined rules: three level thresholds (battery at most b,
 * temperature above t, memory above m), as an operator would type them, tuned by grid search
 * (coordinate ascent, a few sweeps) to maximise F1 of "dies within the horizon" on the same
 * training windows the precursor miner learns from.
 */
public final class ThresholdBaseline {
  private static final int SWEEPS = 3;

  private ThresholdBaseline() {}

  /**
   * The tuned thresholds as rules (support and confidence over the training windows; no held-out
   * validation), and the F1 they reach together.
   */
  public static Result tune(History history, PrecursorMiner.Options options) {
    Windows w = Windows.of(history, options.strideMs(), options.horizonMs(), options.guardMs());
    Feature[] features = {Feature.BATTERY, Feature.TEMPERATURE, Feature.MEMORY};
    boolean[] atMost = {true, false, false};
    double[][] grid = {range(0, 60, 0.5), range(40, 100, 0.5), range(60, 100, 0.25)};
    // NaN = that threshold off
    double[] chosen = {Double.NaN, Double.NaN, Double.NaN};
    double best = f1(w, features, atMost, chosen);
    for (int sweep = 0; sweep < SWEEPS; sweep++) {
      for (int f = 0; f < features.length; f++) {
        double keep = chosen[f];
        for (double v : grid[f]) {
          chosen[f] = v;
          double score = f1(w, features, atMost, chosen);
          if (score > best) {
            best = score;
            keep = v;
          }
        }
        chosen[f] = keep;
      }
    }
    List<PrecursorRule> rules = new ArrayList<>();
    for (int f = 0; f < features.length; f++) {
      if (Double.isNaN(chosen[f])) {
        continue;
      }
      List<Condition> path = List.of(new Condition(features[f], atMost[f], chosen[f]));
      int matched = 0;
      int hits = 0;
      for (int i = 0; i < w.size; i++) {
        if (w.label[i] != Windows.UNLABELLED && w.matches(i, path)) {
          matched++;
          hits += w.label[i] == Windows.POSITIVE ? 1 : 0;
        }
      }
      rules.add(new PrecursorRule(rules.size() + 1, path, hits, matched, matched == 0 ? 0 : hits / (double) matched,
          0, 0, 0));
    }
    return new Result(rules, best);
  }

  private static double f1(Windows w, Feature[] features, boolean[] atMost, double[] chosen) {
    long tp = 0;
    long fp = 0;
    long fn = 0;
    for (int i = 0; i < w.size; i++) {
      if (w.label[i] == Windows.UNLABELLED) {
        continue;
      }
      boolean hit = false;
      for (int f = 0; f < features.length && !hit; f++) {
        if (!Double.isNaN(chosen[f])) {
          double v = w.value(i, features[f]);
          hit = atMost[f] ? v <= chosen[f] : v > chosen[f];
        }
      }
      boolean pos = w.label[i] == Windows.POSITIVE;
      if (hit && pos) {
        tp++;
      } else if (hit) {
        fp++;
      } else if (pos) {
        fn++;
      }
    }
    return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
  }

  private static double[] range(double from, double to, double step) {
    int n = (int) Math.round((to - from) / step) + 1;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = from + i * step;
    }
    return out;
  }

  /**
   * The tuned baseline.
   *
   * @param rules one rule per threshold in use
   * @param f1 the F1 of all of them together on the training windows
   */
  public record Result(List<PrecursorRule> rules, double f1) {
    public Result {
      rules = List.copyOf(rules);
    }

    /** For humans, e.g. {@code battery <= 12.0 % or temperature > 74.5 °C}. */
    public String describe() {
      return String.join(" or ", rules.stream().map(r -> PrecursorMiner.describe(r.conditions())).toList())
          + String.format(Locale.ROOT, " (training F1 %.3f)", f1);
    }
  }
}
