package io.fogwise.cloud.mining;

import io.fogwise.cloud.history.History;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.dtree.CARTClassificationTrainer;
import org.tribuo.classification.dtree.impurity.GiniIndex;
import org.tribuo.common.tree.LeafNode;
import org.tribuo.common.tree.Node;
import org.tribuo.common.tree.SplitNode;
import org.tribuo.common.tree.TreeModel;
import org.tribuo.impl.ArrayExample;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Mines failure precursors: trains a depth-limited CART decision tree (Tribuo) on windows before
 * losses against windows that were not, walks it, and keeps each leaf that predicts "dies soon"
 * with high confidence and enough support on the training part of the history, and whose
 * devices, on the later held-out part (a time split), mostly died within the horizon after the
 * path first matched. Sudden crashes are in the data as losses with healthy windows; they only
 * lower the purity of the leaves they fall in.
 */
public final class PrecursorMiner {
  static final String DIES = "dies";
  static final String LIVES = "lives";
  /** Most negative windows a tree is trained on; more are sampled evenly and weighted. */
  static final int MAX_TRAINING_NEGATIVES = 100_000;
  /** Quantiles tried when a threshold is made stricter. */
  private static final int TIGHTEN_STEPS = 20;
  /** Stricter variants of one path judged at most. */
  private static final int MAX_TIGHTENED = 8;

  private final Options options;

  public PrecursorMiner(Options options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  /** A miner with {@link Options#DEFAULTS}. */
  public static PrecursorMiner withDefaults() {
    return new PrecursorMiner(Options.DEFAULTS);
  }

  /** The options. */
  public Options options() {
    return options;
  }

  /** Mines {@code history}. */
  public Result mine(History history) {
    long started = System.nanoTime();
    Windows w = Windows.of(history, options.strideMs(), options.horizonMs(), options.guardMs());
    long featuresMs = (System.nanoTime() - started) / 1_000_000L;
    List<String> findings = new ArrayList<>();
    if (w.losses < options.minLosses()) {
      return new Result(List.of(), findings, List.of(String.format(Locale.ROOT,
          "too little data for failure precursors: %d losses, need >= %d", w.losses, options.minLosses())),
          w.badValues, w.readings, w.losses);
    }
    long split = history.fromMillis() + (long) ((history.toMillis() - history.fromMillis()) * options.trainShare());
    BitSet train = new BitSet(w.size);
    int pos = 0;
    int neg = 0;
    int trainLosses = 0;
    int validationLosses = 0;
    for (long l : w.lossAt) {
      if (l >= 0 && l < split) {
        trainLosses++;
      } else if (l >= split) {
        validationLosses++;
      }
    }
    for (int i = 0; i < w.size; i++) {
      if (w.at[i] < split && w.label[i] != Windows.UNLABELLED) {
        // a window labelled by a loss after the split would leak the held-out part into training
        long l = w.lossAt[w.device[i]];
        if (l >= split && w.label[i] == Windows.POSITIVE) {
          continue;
        }
        train.set(i);
        if (w.label[i] == Windows.POSITIVE) {
          pos++;
        } else {
          neg++;
        }
      }
    }
    if (trainLosses < options.minLosses() * options.trainShare() || validationLosses < options.minValidationLosses()) {
      return new Result(List.of(), findings, List.of(String.format(Locale.ROOT, "too little data for failure"
          + " precursors: %d losses before the time split and %d after it, need >= %.0f and >= %d", trainLosses,
          validationLosses, Math.ceil(options.minLosses() * options.trainShare()), options.minValidationLosses())),
          w.badValues, w.readings, w.losses);
    }
    if (pos < options.minSupport()) {
      return new Result(List.of(), findings, List.of(String.format(Locale.ROOT, "too little data for failure"
          + " precursors: %d windows before losses, need >= %d", pos, options.minSupport())), w.badValues,
          w.readings, w.losses);
    }
    List<PrecursorRule> kept = new ArrayList<>();
    java.util.Set<String> dropped = new java.util.LinkedHashSet<>();
    BitSet remaining = (BitSet) train.clone();
    for (int round = 1; round <= options.rounds(); round++) {
      int rPos = 0;
      int rNeg = 0;
      for (int i = remaining.nextSetBit(0); i >= 0; i = remaining.nextSetBit(i + 1)) {
        if (w.label[i] == Windows.POSITIVE) {
          rPos++;
        } else {
          rNeg++;
        }
      }
      if (rPos < options.minSupport()) {
        break;
      }
      TreeModel<Label> model = train(w, remaining, rPos, rNeg);
      List<List<Condition>> paths = new ArrayList<>();
      walk(model, model.getRoot(), new ArrayList<>(), paths);
      findings.add(String.format(Locale.ROOT, "failure precursors, round %d: %d windows (%d before a loss, %d not)"
          + " from %d devices, %d losses (%d for training, %d held out after %s); tree depth %d, %d leaves predict"
          + " a loss", round, rPos + rNeg, rPos, rNeg, history.devices().size(), w.losses, trainLosses,
          validationLosses, java.time.Instant.ofEpochMilli(split), model.getDepth(), paths.size()));
      int before = kept.size();
      for (List<Condition> leafPath : paths) {
        List<Condition> path = prune(w, train, leafPath);
        String why = judge(w, train, path, split);
        if (why != null) {
          // a leaf just short of the confidence, or matching look-alikes on some devices: the
          // strictest single threshold that reaches the confidence (or 97 %) and passes everything
          int tried = 0;
          for (List<Condition> tight : tighten(w, train, path, options.minConfidence())) {
            if (tried++ == MAX_TIGHTENED || judge(w, train, tight, split) == null) {
              if (tried <= MAX_TIGHTENED) {
                path = tight;
                why = null;
              }
              break;
            }
          }
        }
        if (why != null) {
          dropped.add(why);
          continue;
        }
        int[] st = stats(w, train, path);
        int matched = st[0];
        int hits = st[1];
        double confidence = hits / (double) matched;
        Validation v = validate(w, path, split);
        int fresh = 0;
        for (int i = train.nextSetBit(0); i >= 0; i = train.nextSetBit(i + 1)) {
          if (w.label[i] == Windows.POSITIVE && w.matches(i, path) && !covered(w, i, kept)) {
            fresh++;
          }
        }
        if (fresh < options.minSupport()) {
          continue; // the rules kept already catch (nearly) all it catches
        }
        kept.add(new PrecursorRule(0, path, hits, matched, confidence, v.devices(), v.died(), v.medianLeadMs()));
        for (int i = remaining.nextSetBit(0); i >= 0; i = remaining.nextSetBit(i + 1)) {
          if (w.matches(i, path)) {
            remaining.clear(i);
          }
        }
      }
      if (kept.size() == before) {
        break;
      }
    }
    kept.sort(Comparator.comparingInt(PrecursorRule::support).reversed());
    // a rule whose every training window another rule matches adds nothing: drop it, smallest first
    for (int r = kept.size() - 1; r >= 0; r--) {
      List<PrecursorRule> others = new ArrayList<>(kept);
      PrecursorRule candidate = others.remove(r);
      boolean adds = false;
      for (int i = train.nextSetBit(0); i >= 0 && !adds; i = train.nextSetBit(i + 1)) {
        adds = w.matches(i, candidate.conditions()) && !covered(w, i, others);
      }
      if (!adds) {
        kept.remove(r);
      }
    }
    List<PrecursorRule> numbered = new ArrayList<>();
    for (int i = 0; i < kept.size() && i < options.maxRules(); i++) {
      numbered.add(kept.get(i).numbered(i + 1));
    }
    dropped.forEach(d -> findings.add("not a rule: " + d));
    findings.add(String.format(Locale.ROOT, "failure precursors took %d ms (features %d ms)",
        (System.nanoTime() - started) / 1_000_000L, featuresMs));
    List<String> refusals = new ArrayList<>();
    if (numbered.isEmpty()) {
      refusals.add("no failure precursor found: no leaf of the tree predicts a loss with >= " + Math.round(
          options.minConfidence() * 100) + " % confidence, >= " + options.minSupport() + " windows and >= "
          + Math.round(options.minValidationPrecision() * 100) + " % precision on held-out data");
    }
    return new Result(numbered, findings, refusals, w.badValues, w.readings, w.losses);
  }

  /** Why {@code path} is not a rule, or null if it is one. */
  private String judge(Windows w, BitSet train, List<Condition> path, long split) {
    int[] st = stats(w, train, path);
    int matched = st[0];
    int hits = st[1];
    double confidence = matched == 0 ? 0 : hits / (double) matched;
    String what = describe(path);
    if (hits < options.minSupport() || confidence < options.minConfidence()) {
      return String.format(Locale.ROOT, "%s: %d of %d training windows died (needs >= %d at >= %.0f %%)", what, hits,
          matched, options.minSupport(), options.minConfidence() * 100);
    }
    // many windows of a few dying devices can hide a few windows each on many healthy ones: a
    // rule fires once per device, so its devices must mostly die too
    Validation trainDevices = devices(w, path, Long.MIN_VALUE, split);
    if (trainDevices.precision() < options.minConfidence()) {
      return String.format(Locale.ROOT, "%s: %d training windows at %.0f %%, but only %d of the %d training devices"
          + " it matched died within the horizon (needs >= %.0f %%)", what, hits, confidence * 100,
          trainDevices.died(), trainDevices.devices(), options.minConfidence() * 100);
    }
    Validation v = validate(w, path, split);
    if (v.devices() == 0 || v.precision() < options.minValidationPrecision()) {
      return String.format(Locale.ROOT, "%s: %d training windows at %.0f %%, but on held-out data %d of %d devices it"
          + " matched died within the horizon (needs >= %.0f %%)", what, hits, confidence * 100, v.died(),
          v.devices(), options.minValidationPrecision() * 100);
    }
    return null;
  }

  /** Training windows a path matches [0] and of them positive [1]. */
  private static int[] stats(Windows w, BitSet train, List<Condition> path) {
    int matched = 0;
    int hits = 0;
    for (int i = train.nextSetBit(0); i >= 0; i = train.nextSetBit(i + 1)) {
      if (w.matches(i, path)) {
        matched++;
        if (w.label[i] == Windows.POSITIVE) {
          hits++;
        }
      }
    }
    return new int[] {matched, hits};
  }

  /**
   * The path with one threshold made stricter (to a quantile of its positive windows' values),
   * every way that reaches confidence {@code target} with enough support, most support first.
   */
  private List<List<Condition>> tighten(Windows w, BitSet train, List<Condition> path, double target) {
    List<List<Condition>> out = new ArrayList<>();
    List<Integer> support = new ArrayList<>();
    for (int c = 0; c < path.size(); c++) {
      Condition cond = path.get(c);
      List<Double> values = new ArrayList<>();
      for (int i = train.nextSetBit(0); i >= 0; i = train.nextSetBit(i + 1)) {
        if (w.label[i] == Windows.POSITIVE && w.matches(i, path)) {
          values.add(w.value(i, cond.feature()));
        }
      }
      if (values.size() < options.minSupport()) {
        return List.of();
      }
      values.sort(null);
      double last = Double.NaN;
      for (int q = 1; q < TIGHTEN_STEPS; q++) {
        // a "<=" bound moves down through the positives' values, a ">" bound up
        double quantile = cond.atMost() ? 1 - q / (double) TIGHTEN_STEPS : q / (double) TIGHTEN_STEPS;
        double t = cond.feature().round(values.get((int) Math.floor(quantile * (values.size() - 1))));
        if (t == last || (cond.atMost() ? t >= cond.threshold() : t <= cond.threshold())) {
          continue;
        }
        last = t;
        List<Condition> candidate = new ArrayList<>(path);
        candidate.set(c, new Condition(cond.feature(), cond.atMost(), t));
        int[] st = stats(w, train, candidate);
        if (st[1] >= options.minSupport() && st[1] >= target * st[0]) {
          int at = 0;
          while (at < support.size() && support.get(at) >= st[1]) {
            at++;
          }
          out.add(at, List.copyOf(candidate));
          support.add(at, st[1]);
        }
      }
    }
    return out;
  }

  private static boolean covered(Windows w, int i, List<PrecursorRule> rules) {
    for (PrecursorRule r : rules) {
      if (w.matches(i, r.conditions())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Drops a path's conditions one at a time, the one whose removal keeps the highest confidence
   * first, while the training confidence stays at or above the minimum: a tree's path carries
   * splits that served other leaves, and each one dropped lets the rule catch more.
   */
  private List<Condition> prune(Windows w, BitSet train, List<Condition> path) {
    List<Condition> current = new ArrayList<>(path);
    while (current.size() > 1) {
      List<Condition> best = null;
      double bestConfidence = -1;
      for (int drop = 0; drop < current.size(); drop++) {
        List<Condition> candidate = new ArrayList<>(current);
        candidate.remove(drop);
        int matched = 0;
        int hits = 0;
        for (int i = train.nextSetBit(0); i >= 0; i = train.nextSetBit(i + 1)) {
          if (w.matches(i, candidate)) {
            matched++;
            if (w.label[i] == Windows.POSITIVE) {
              hits++;
            }
          }
        }
        double confidence = matched == 0 ? 0 : hits / (double) matched;
        if (confidence >= options.minConfidence() && confidence > bestConfidence) {
          best = candidate;
          bestConfidence = confidence;
        }
      }
      if (best == null) {
        break;
      }
      current = best;
    }
    return List.copyOf(current);
  }

  private TreeModel<Label> train(Windows w, BitSet train, int pos, int neg) {
    LabelFactory factory = new LabelFactory();
    MutableDataset<Label> data = new MutableDataset<>(new SimpleDataSourceProvenance("fleet history",
        OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), factory), factory);
    String[] names = new String[Windows.FEATURES];
    for (Feature f : Feature.values()) {
      names[f.ordinal()] = f.name();
    }
    // positives weigh as much as negatives in all, so the tree looks for them; confidence and
    // support are counted unweighted afterwards
    float posWeight = (float) Math.max(1.0, Math.pow(neg / (double) Math.max(pos, 1), options.balance()));
    // a large history trains on every k-th negative window, each weighing k: the same tree, faster
    int every = Math.max(1, (int) Math.ceil(neg / (double) MAX_TRAINING_NEGATIVES));
    Label dies = new Label(DIES);
    Label lives = new Label(LIVES);
    int negSeen = 0;
    for (int i = train.nextSetBit(0); i >= 0; i = train.nextSetBit(i + 1)) {
      boolean p = w.label[i] == Windows.POSITIVE;
      if (!p && negSeen++ % every != 0) {
        continue;
      }
      double[] values = new double[Windows.FEATURES];
      System.arraycopy(w.x, i * Windows.FEATURES, values, 0, Windows.FEATURES);
      ArrayExample<Label> example = new ArrayExample<>(p ? dies : lives, names, values);
      example.setWeight(p ? posWeight : every);
      data.add(example);
    }
    CARTClassificationTrainer trainer = new CARTClassificationTrainer(options.maxDepth(),
        (float) options.minChildWeight(), 0.0f, 1.0f, new GiniIndex(), 16L);
    return (TreeModel<Label>) trainer.train(data);
  }

  private static void walk(TreeModel<Label> model, Node<Label> node, List<Condition> path, List<List<Condition>> out) {
    if (node instanceof LeafNode<Label> leaf) {
      if (DIES.equals(leaf.getOutput().getLabel()) && !path.isEmpty()) {
        out.add(simplify(path));
      }
      return;
    }
    SplitNode<Label> split = (SplitNode<Label>) node;
    Feature f = Feature.valueOf(model.getFeatureIDMap().get(split.getFeatureID()).getName());
    double t = f.round(split.splitValue());
    path.add(new Condition(f, true, t));
    walk(model, split.getLessThanOrEqual(), path, out);
    path.set(path.size() - 1, new Condition(f, false, t));
    walk(model, split.getGreaterThan(), path, out);
    path.remove(path.size() - 1);
  }

  /** One bound per feature and direction: the tightest. */
  static List<Condition> simplify(List<Condition> path) {
    List<Condition> out = new ArrayList<>();
    for (Condition c : path) {
      Condition same = out.stream().filter(o -> o.feature() == c.feature() && o.atMost() == c.atMost()).findFirst()
          .orElse(null);
      if (same == null) {
        out.add(c);
      } else if (c.atMost() ? c.threshold() < same.threshold() : c.threshold() > same.threshold()) {
        out.set(out.indexOf(same), c);
      }
    }
    return List.copyOf(out);
  }

  /**
   * On the held-out part: the devices the path matched (the first match per device and life, as
   * a rule fires once), how many of them were lost within the horizon after it, and the median
   * time from that match to the loss.
   */
  private Validation validate(Windows w, List<Condition> path, long split) {
    return devices(w, path, split, Long.MAX_VALUE);
  }

  private Validation devices(Windows w, List<Condition> path, long from, long to) {
    int devices = 0;
    int died = 0;
    List<Long> leads = new ArrayList<>();
    int current = -1;
    boolean fired = false;
    for (int i = 0; i < w.size; i++) {
      if (w.device[i] != current) {
        current = w.device[i];
        fired = false;
      }
      if (fired || w.at[i] < from || w.at[i] >= to || !w.matches(i, path)) {
        continue;
      }
      long loss = w.lossAt[current];
      boolean unknown = loss < 0 && w.label[i] == Windows.UNLABELLED;
      if (unknown) {
        continue; // alive at the end, but within the horizon of it: its future is not in the data
      }
      fired = true;
      devices++;
      if (loss >= 0 && loss - w.at[i] <= options.horizonMs()) {
        died++;
        leads.add(loss - w.at[i]);
      }
    }
    leads.sort(null);
    return new Validation(devices, died, leads.isEmpty() ? 0 : leads.get(leads.size() / 2));
  }

  /** A path for humans: its conditions joined by "and". */
  public static String describe(List<Condition> path) {
    return String.join(" and ", path.stream().map(Condition::describe).toList());
  }

  private record Validation(int devices, int died, long medianLeadMs) {
    double precision() {
      return devices == 0 ? 0 : died / (double) devices;
    }
  }

  /**
   * What the precursor miner found.
   *
   * @param rules the paths that became rules, numbered from 1
   * @param findings what it saw and which paths it dropped and why
   * @param refusals why it found none
   * @param badValues readings (or values) excluded as absurd
   * @param readings readings seen
   * @param losses devices lost in the history
   */
  public record Result(List<PrecursorRule> rules, List<String> findings, List<String> refusals, long badValues,
      long readings, int losses) {
    public Result {
      rules = List.copyOf(rules);
      findings = List.copyOf(findings);
      refusals = List.copyOf(refusals);
    }
  }

  /**
   * Precursor miner options.
   *
   * @param horizonMs a window this long before a loss is positive ("dies soon")
   * @param guardMs but not the last this long: a rule firing then could not drain the device in time
   * @param strideMs a window every this long per device
   * @param maxDepth depth of the tree
   * @param minChildWeight least (weighted) windows in a leaf
   * @param minConfidence least share of a leaf's training windows that died
   * @param minSupport least training windows that died in a leaf
   * @param minValidationPrecision least share of held-out devices the path matched that died within the horizon
   * @param trainShare the earlier share of the history trained on; the rest validates
   * @param minLosses fewest losses in the history to mine at all
   * @param minValidationLosses fewest losses in the held-out part
   * @param maxRules most rules generated
   * @param balance positives weigh (negatives / positives)^balance in training: 0 unweighted, 1 balanced
   * @param rounds trees trained one after another, each without the windows earlier rules cover
   */
  public record Options(long horizonMs, long guardMs, long strideMs, int maxDepth, double minChildWeight,
      double minConfidence, int minSupport, double minValidationPrecision, double trainShare, int minLosses,
      int minValidationLosses, int maxRules, double balance, int rounds) {
    /**
     * 5 min horizon, 5 s guard, a window every 2 s, depth 5, confidence >= 0.9, support >= 20,
     * 70/30 split, >= 10 losses, unweighted classes, up to 6 rounds.
     */
    public static final Options DEFAULTS = new Options(300_000, 5_000, 2_000, 5, 20, 0.9, 20, 0.8, 0.7, 10, 3, 8,
        0.0, 6);

    public Options {
      if (horizonMs <= guardMs || guardMs < 0 || strideMs < 1 || maxDepth < 1 || !(minConfidence > 0.5)
          || minSupport < 1 || !(trainShare > 0 && trainShare < 1) || minLosses < 1 || maxRules < 1
          || !(balance >= 0 && balance <= 1) || rounds < 1) {
        throw new IllegalArgumentException("precursor miner options out of range: horizon " + horizonMs + " ms, guard "
            + guardMs + " ms, stride " + strideMs + " ms, depth " + maxDepth + ", confidence " + minConfidence);
      }
    }

    /** The same with other data minimums (small test histories). */
    public Options withMinimums(int losses, int validationLosses, int support) {
      return new Options(horizonMs, guardMs, strideMs, maxDepth, minChildWeight, minConfidence, support,
          minValidationPrecision, trainShare, losses, validationLosses, maxRules, balance, rounds);
    }

    /** The same with another tree depth, class balance and number of rounds. */
    public Options withTree(int depth, double balance, int rounds) {
      return new Options(horizonMs, guardMs, strideMs, depth, minChildWeight, minConfidence, minSupport,
          minValidationPrecision, trainShare, minLosses, minValidationLosses, maxRules, balance, rounds);
    }
  }
}
