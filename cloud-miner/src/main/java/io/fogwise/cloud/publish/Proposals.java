package io.fogwise.cloud.publish;

import io.fogwise.cloud.mining.MiningResult;
import io.fogwise.policy.PolicyArtifacts;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRejected;
import io.fogwise.policy.PolicyRollout;
import io.fogwise.policy.PolicyStore;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Clock;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a mining pass's result into the next {@code global} bundle, signed with the cloud key:
 * the live bundle's operator rule files and parameters, with the generated file {@value
 * #MINED_FILE} and the mined parameters replacing the previous ones. It is compiled the way
 * {@code fogwise rules push} precompiles (signed artifacts stored, so gateways load them and the
 * operator approving needs no key); then stored as the scope's candidate ({@link Mode#PROPOSE})
 * or published at once ({@link Mode#AUTO}).
 */
public final class Proposals {
  /** The author of every bundle the miner signs. */
  public static final String AUTHOR = "fogwise-miner";
  /** The folder of generated rule files: files in it are the miner's, replaced by each proposal. */
  public static final String MINED_DIR = "mined/";
  /** The generated rule file. */
  public static final String MINED_FILE = MINED_DIR + "precursors.drl";
  /**
   * The parameter listing the parameter keys the miner set (comma-separated): those are the
   * ones the next proposal replaces; every other parameter is the operator's and is kept.
   */
  public static final String MINED_KEYS = "mined.keys";
  /** Gateways publish their status every second: one and a half periods find each online one. */
  public static final Duration DISCOVERY = Duration.ofMillis(1500);
  /** How long {@link Mode#AUTO} waits for the gateways' outcomes, like {@code rules push}'s default. */
  public static final Duration DEFAULT_OUTCOME_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(Proposals.class);

  /** What to do with a bundle built from a pass. */
  public enum Mode {
    /** Store it as a candidate for an operator to review and approve (the default). */
    PROPOSE,
    /** Publish it at once through the normal rollout. */
    AUTO;

    /** {@code propose} or {@code auto}. */
    public static Mode parse(String text) {
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
          return m;
        }
      }
      throw new IllegalArgumentException("publish mode must be 'propose' or 'auto', got '" + text + "'");
    }
  }

  /** A bundle's content before it is signed. */
  public record Draft(List<PolicyBundle.RuleFile> sources, Map<String, PolicyBundle.Param> parameters) {
    public Draft {
      sources = List.copyOf(sources);
      parameters = java.util.Collections.unmodifiableMap(new TreeMap<>(parameters));
    }

    /** Whether this is exactly {@code sources} and {@code parameters} (file order aside). */
    public boolean sameAs(List<PolicyBundle.RuleFile> otherSources, Map<String, PolicyBundle.Param> otherParameters) {
      return byName(sources).equals(byName(otherSources)) && parameters.equals(new TreeMap<>(otherParameters));
    }
  }

  private final Connection nats;
  private final PolicyBundles.SigningKey key;
  private final Mode mode;
  private final Clock clock;
  private final Duration outcomeTimeout;
  private final CandidateStore candidates;

  private Proposals(Connection nats, PolicyBundles.SigningKey key, Mode mode, Clock clock, Duration outcomeTimeout) {
    this.nats = nats;
    this.key = key;
    this.mode = mode;
    this.clock = clock;
    this.outcomeTimeout = outcomeTimeout;
    this.candidates = CandidateStore.on(nats);
  }

  /**
   * Proposals on {@code nats}.
   *
   * @param key the cloud signing key, or null: then passes are findings only
   */
  public static Proposals create(Connection nats, PolicyBundles.SigningKey key, Mode mode, Clock clock,
      Duration outcomeTimeout) {
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(outcomeTimeout, "outcomeTimeout");
    return new Proposals(nats, key, mode, clock, outcomeTimeout);
  }

  /** The candidates this writes. */
  public CandidateStore candidates() {
    return candidates;
  }

  /**
   * The next bundle's content: {@code liveSources} without any {@value #MINED_DIR} file, plus
   * {@code result}'s DRL as {@value #MINED_FILE} (if any); {@code liveParameters} without the
   * keys the miner set before (listed in {@value #MINED_KEYS}), plus {@code result}'s parameters
   * and their list.
   */
  public static Draft draft(List<PolicyBundle.RuleFile> liveSources, Map<String, PolicyBundle.Param> liveParameters,
      MiningResult result) {
    Objects.requireNonNull(result, "result");
    List<PolicyBundle.RuleFile> sources = new ArrayList<>();
    for (PolicyBundle.RuleFile f : liveSources) {
      if (!f.fileName().startsWith(MINED_DIR)) {
        sources.add(f);
      }
    }
    if (result.drl() != null) {
      sources.add(new PolicyBundle.RuleFile(MINED_FILE, result.drl()));
    }
    Map<String, PolicyBundle.Param> params = new TreeMap<>(liveParameters);
    PolicyBundle.Param previous = params.remove(MINED_KEYS);
    if (previous != null) {
      Arrays.stream(previous.value().split(",")).map(String::trim).filter(k -> !k.isEmpty()).forEach(params::remove);
    }
    result.parameters().forEach((k, v) -> params.put(k, PolicyBundle.Param.infer(v)));
    if (!result.parameters().isEmpty()) {
      params.put(MINED_KEYS, new PolicyBundle.Param("string", String.join(",", new TreeSet<>(result.parameters().keySet()))));
    }
    return new Draft(sources, params);
  }

  /**
   * Builds, checks and stores (or publishes) the bundle for {@code result}; one at a time. Never
   * throws for a refused bundle: the {@link Proposal} says why.
   */
  public synchronized Proposal propose(MiningResult result) {
    Objects.requireNonNull(result, "result");
    if (!result.publishable()) {
      return Proposal.of(Proposal.Outcome.NOTHING_TO_PUBLISH, result.refusals().isEmpty()
          ? "nothing to publish: the pass generated no rules and no parameters"
          : "nothing to publish: " + String.join("; ", result.refusals()));
    }
    if (key == null) {
      return Proposal.of(Proposal.Outcome.FINDINGS_ONLY,
          "no --signing-key: findings only (start 'fogwise cloud --signing-key cloud.key' to propose rules)");
    }
    String scope = Subjects.GLOBAL_SCOPE;
    PolicyStore store = PolicyStore.open(nats);
    long live = store.liveVersion(scope);
    List<PolicyBundle.RuleFile> liveSources;
    Map<String, PolicyBundle.Param> liveParams;
    if (live == 0) {
      // global v0 is the built-in packs: the mined rules join them, they do not replace them
      liveSources = builtInFiles();
      liveParams = Map.of();
    } else {
      PolicyBundle b;
      try {
        b = PolicyBundles.decode(store.raw(scope, live).orElseThrow(() -> new PolicyRejected(
            PolicyRejected.Reason.MALFORMED, "the live pointer names v" + live + ", which is not stored")));
      } catch (PolicyRejected e) {
        return Proposal.of(Proposal.Outcome.REFUSED, "not proposed: live " + scope + " v" + live + " is unreadable ("
            + e.getMessage() + "); repair it with 'fogwise rules repair --scope " + scope + "'");
      }
      liveSources = b.sources();
      liveParams = b.parameters();
    }
    Draft draft = draft(liveSources, liveParams, result);
    if (draft.sameAs(liveSources, liveParams)) {
      return new Proposal(Proposal.Outcome.UNCHANGED, 0, live, "nothing changed: the mined rules and parameters equal"
          + " live " + scope + " v" + live, List.of());
    }
    long version = Math.max(live, store.latestVersion(scope)) + 1;
    long now = clock.wallMillis();
    PolicyBundle bundle = PolicyBundles.sign(scope, version, AUTHOR, now, draft.sources(), draft.parameters(), key);
    int size = PolicyBundles.encode(bundle).length;
    if (size > PolicyBundles.MAX_BUNDLE_BYTES) {
      return new Proposal(Proposal.Outcome.REFUSED, 0, live, "not proposed: " + bundle.label() + " would be " + size
          + " bytes; bundles are limited to " + PolicyBundles.MAX_BUNDLE_BYTES, List.of());
    }
    List<PolicyArtifacts.Precompiled> compiled;
    try {
      compiled = PolicyArtifacts.precompile(store, bundle, AUTHOR, now, key);
    } catch (PolicyArtifacts.CompileFailed e) {
      List<String> errors = e.errors().stream().map(Object::toString).toList();
      LOG.warn("mined {} not proposed: {} does not compile: {}", bundle.label(), e.policy().label(),
          errors.isEmpty() ? "?" : errors.get(0));
      return new Proposal(Proposal.Outcome.REFUSED, 0, live, "not proposed: " + bundle.label() + " ("
          + e.policy().label() + ") does not compile or breaks the sandbox: "
          + (errors.isEmpty() ? "(no error given)" : errors.get(0)), errors);
    } catch (IllegalArgumentException e) {
      return new Proposal(Proposal.Outcome.REFUSED, 0, live, "not proposed: " + bundle.label() + ": " + e.getMessage(),
          List.of());
    }
    List<String> artifacts = compiled.stream().map(PolicyArtifacts.Precompiled::label).toList();
    if (mode == Mode.PROPOSE) {
      candidates.put(new Candidate(scope, live, now, result.fromMillis(), result.toMillis(), result.findings(),
          artifacts, bundle));
      LOG.info("proposed {} (base v{}): review with 'fogwise rules diff', publish with 'fogwise rules approve'",
          bundle.label(), live);
      return new Proposal(Proposal.Outcome.PROPOSED, version, live, "candidate " + bundle.label() + " (base v" + live
          + ") stored in " + Subjects.POLICY_CANDIDATE_BUCKET + "; review with 'fogwise rules diff', publish with"
          + " 'fogwise rules approve'", List.of());
    }
    return publish(bundle, live);
  }

  /** {@link Mode#AUTO}: publishes through the rollout and waits for the online gateways' outcomes. */
  private Proposal publish(PolicyBundle bundle, long live) {
    try (PolicyRollout rollout = PolicyRollout.open(nats)) {
      try {
        // Nothing to wait on but time: a gateway that is online speaks within one status period.
        Thread.sleep(DISCOVERY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Proposal(Proposal.Outcome.REFUSED, 0, live, "not published: interrupted", List.of());
      }
      Set<String> expected = new TreeSet<>(rollout.online().keySet());
      PolicyRollout.Publication publication;
      try {
        publication = rollout.publish(bundle);
      } catch (IllegalStateException e) {
        return new Proposal(Proposal.Outcome.REFUSED, 0, live, "not published: " + e.getMessage(), List.of());
      }
      Map<String, PolicyRollout.Outcome> answers = rollout.awaitOutcomes(publication, expected, outcomeTimeout)
          .received();
      List<String> lines = new ArrayList<>();
      Set<String> all = new TreeSet<>(expected);
      all.addAll(answers.keySet());
      int applied = 0;
      for (String gw : all) {
        PolicyRollout.Outcome o = answers.get(gw);
        if (o == null) {
          lines.add(gw + ": NO ANSWER within " + outcomeTimeout.toMillis() + " ms");
        } else {
          PolicyOutcome po = o.outcome();
          applied += po.state() == PolicyOutcome.State.APPLIED ? 1 : 0;
          lines.add(gw + ": " + po.state() + " in " + o.millis() + " ms"
              + (po.errors().isEmpty() ? "" : ": " + po.errors().get(0)));
        }
      }
      LOG.info("published mined {} (base v{}): {} of {} gateways applied it{}", bundle.label(), live, applied, all.size(),
          lines.isEmpty() ? "" : " (" + String.join("; ", lines) + ")");
      return new Proposal(Proposal.Outcome.PUBLISHED, bundle.version(), live, "published " + bundle.label() + " (base v"
          + live + "): " + applied + " of " + all.size() + " gateways applied it", lines);
    } catch (TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return new Proposal(Proposal.Outcome.REFUSED, 0, live, "not published: NATS did not confirm the rollout's"
          + " subscriptions", List.of());
    }
  }

  /** The built-in packs as bundle files: what {@code global v0} runs. */
  public static List<PolicyBundle.RuleFile> builtInFiles() {
    List<PolicyBundle.RuleFile> files = new ArrayList<>();
    for (RuleSource s : RuleSet.builtInPacks()) {
      files.add(new PolicyBundle.RuleFile(s.fileName(), s.drl()));
    }
    return files;
  }

  static Map<String, String> byName(List<PolicyBundle.RuleFile> files) {
    Map<String, String> m = new TreeMap<>();
    files.forEach(f -> m.put(f.fileName(), f.drl()));
    return m;
  }
}
