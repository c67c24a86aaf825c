package io.fogwise.gateway.policy;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.metrics.GatewayMetrics;
import io.fogwise.gateway.core.health.Problems;
import io.fogwise.gateway.core.store.DesiredStore;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Clock;
import io.fogwise.protocol.time.Scheduler;
import io.fogwise.rules.host.RuleArtifactException;
import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.source.RuleError;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.Parameters;
import io.fogwise.policy.EffectivePolicy;
import io.fogwise.policy.PolicyArtifacts;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRejected;
import io.fogwise.policy.PolicyStore;
import io.fogwise.policy.TrustedKeys;
import io.nats.client.Connection;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies policy pushed to the {@code fw-rules} KV bucket: watches the live pointers of
 * {@code global} and of this gateway's scope, verifies each new version (signature, hash, scope,
 * version newer than live, not rejected before), composes it with the other scope, compiles it
 * with the sandbox off the decision thread, and swaps it in atomically. For a probation window
 * after each swap it watches the rule set's health; a rule set that fails (a rule throws, even an
 * {@code Error}), exceeds a budget (firings, wall time, allocation) or storms is replaced by the previous good one and its version is never applied again. Every
 * outcome is published on {@code fw.gw.<id>.rules}.
 *
 * <p>History only moves forward: the version each scope runs is kept in the gateway's durable
 * state ({@link io.fogwise.gateway.core.store.PolicyHistory}) with the bundle itself
 * ({@link DesiredStore#savePolicy}), and nothing lower is applied — at start or later —
 * whatever the live pointer says. A pointer that is missing, malformed, behind, or names a
 * version that is not stored, and a deleted bucket, are reported ({@link Problems}) while the
 * gateway keeps running its last good policy; every {@link #GUARD_INTERVAL_MS} it checks the
 * bucket and the pointers itself, and renews its watches when the bucket was created again.
 */
public final class PolicyManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyManager.class);
  /**
   * How often the bucket and the pointers are checked besides the watch. One second: a deleted
   * bucket, a purge (which a watch does not see) or a dead watch is noticed within about as
   * long as a push takes, for two KV reads per second.
   */
  static final long GUARD_INTERVAL_MS = 1000;
  private static final String BUCKET_PROBLEM = "policy.bucket";

  private final String gatewayId;
  private final String gatewayScope;
  /** A rolled-back rule set keeps failing at most this long: four checks a second. */
  private static final Duration HEALTH_CHECK_INTERVAL = Duration.ofMillis(250);

  private final Vertx vertx;
  private final Context ctx;
  private final Supplier<GatewayEngine> engine;
  private final PolicyStore store;
  private final TrustedKeys trusted;
  private final Connection nats;
  private final Clock clock;
  private final Settings settings;
  private final Map<String, PolicyBundle> live = new HashMap<>();
  private final Map<String, Long> pending = new HashMap<>();
  private final Map<String, PolicyStore.Watch> watchers = new HashMap<>();
  private final Map<String, PolicyStore.PointerState> lastPointer = new HashMap<>();
  private final DesiredStore own;
  private final Problems problems;
  private final GatewayMetrics metrics;
  private boolean applying;
  private Probation probation;
  private final Scheduler scheduler;
  private Scheduler.Cancellable timer;
  private Scheduler.Cancellable guardTimer;
  private boolean guarding;
  private java.time.ZonedDateTime bucketCreated;
  private boolean watchesLost;

  /**
   * Health gate settings.
   *
   * @param probation how long after activation a rule set can still be rolled back
   * @param stormActionsPerMinute more rule actions than this per minute during probation is a storm
   * @param useArtifacts load signed compiled artifacts when the cloud stored one (else always compile)
   */
  public record Settings(Duration probation, int stormActionsPerMinute, boolean useArtifacts) {
    public static final Settings DEFAULT = new Settings(Duration.ofSeconds(30), 120, true);

    public Settings(Duration probation, int stormActionsPerMinute) {
      this(probation, stormActionsPerMinute, true);
    }

    /** These settings with artifacts used or not. */
    public Settings withArtifacts(boolean use) {
      return new Settings(probation, stormActionsPerMinute, use);
    }
  }

  /** The previous good state, kept during probation for an instant rollback. */
  private record Probation(String scope, PolicyBundle bundle, PolicyBundle previous, RuleSet previousRules,
      Parameters previousParameters, String previousLabel, long untilMillis, long startedMillis, long failuresAtStart,
      long actionsAtStart) {}

  /**
   * @param scheduler runs the health checks and the store guard on the gateway's decision context
   */
  public PolicyManager(String gatewayId, Vertx vertx, Context ctx, Scheduler scheduler, Supplier<GatewayEngine> engine,
      PolicyStore store, TrustedKeys trusted, Connection nats, Clock clock, Settings settings, DesiredStore own,
      Problems problems, GatewayMetrics metrics) {
    this.gatewayId = gatewayId;
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.gatewayScope = PolicyBundle.gatewayScope(gatewayId);
    this.vertx = vertx;
    this.ctx = ctx;
    this.engine = engine;
    this.store = Objects.requireNonNull(store, "store");
    this.trusted = Objects.requireNonNull(trusted, "trusted");
    this.nats = nats;
    this.clock = clock;
    this.settings = settings;
    this.own = Objects.requireNonNull(own, "own");
    this.problems = Objects.requireNonNull(problems, "problems");
  }

  /**
   * What a gateway knows of its own policy history at start: the version it ran per scope, the
   * versions it rejected, and where it kept the bundles.
   */
  public record Saved(Map<String, Long> applied, java.util.function.BiPredicate<String, Long> rejected,
      DesiredStore store) {
    /** Nothing saved: a fresh or ephemeral gateway. */
    public static Saved none() {
      return new Saved(Map.of(), (scope, v) -> false, DesiredStore.none());
    }
  }

  /**
   * The effective policy to start with (blocking: call off the event loop before the engine
   * exists): per scope the newest verifiable, not rejected version the pointer leads to, but
   * never one below the version this gateway ran before ({@code saved}); when the pointer is
   * missing, malformed, behind, or the bucket cannot be read, the version it ran before, from
   * its own state. Every such condition is reported to {@code problems}.
   */
  public static Initial initial(String gatewayId, PolicyStore store, TrustedKeys trusted, Saved saved,
      List<io.fogwise.rules.source.RuleSource> builtIn, boolean useArtifacts, Problems problems) {
    String gwScope = PolicyBundle.gatewayScope(gatewayId);
    PolicyBundle global = startBundle(store, trusted, Subjects.GLOBAL_SCOPE, saved, problems);
    PolicyBundle mine = startBundle(store, trusted, gwScope, saved, problems);
    EffectivePolicy p = EffectivePolicy.compose(builtIn, global, gwScope, mine);
    try {
      Built built = build(p, store, trusted, useArtifacts);
      return new Initial(global, mine, p, built.rules(), buildTag(built.how()), built.millis());
    } catch (RuleCompilationException e) {
      LOG.warn("live policy {} does not compile here ({}); starting with the built-in packs", p.label(),
          e.errors().isEmpty() ? "" : e.errors().get(0));
      EffectivePolicy base = EffectivePolicy.compose(builtIn, null, gwScope, null);
      long t0 = System.nanoTime();
      try {
        RuleSet rules = RuleSet.compile(base.label(), base.sources());
        return new Initial(null, null, base, rules, "compiled", (System.nanoTime() - t0) / 1_000_000L);
      } catch (RuleCompilationException impossible) {
        throw new IllegalStateException("the built-in packs do not compile: " + impossible.getMessage(), impossible);
      }
    }
  }

  /** The bundle {@code scope} starts with, or null for none. */
  private static PolicyBundle startBundle(PolicyStore store, TrustedKeys trusted, String scope, Saved saved,
      Problems problems) {
    long floor = saved.applied().getOrDefault(scope, 0L);
    PolicyStore.PointerState pointer;
    try {
      pointer = store.pointerState(scope);
    } catch (RuntimeException e) {
      PolicyBundle b = restoreOwn(store, trusted, scope, floor, saved, problems);
      problems.report(pointerProblem(scope, "policy_pointer", "cannot read the live pointer " + scope + " ("
          + e.getMessage() + "); " + keeps(scope, b, floor)));
      return b;
    }
    if (!pointer.malformed() && pointer.version() > floor) {
      PolicyBundle newest = fetchQuietly(store, trusted, scope, pointer.version(), floor, saved.rejected());
      if (newest != null) {
        return newest;
      }
    }
    if (floor == 0 && !pointer.malformed()) {
      return null;
    }
    PolicyBundle b = restoreOwn(store, trusted, scope, floor, saved, problems);
    String why = pointerMessage(scope, pointer, floor, keeps(scope, b, floor));
    if (why != null) {
      problems.report(pointerProblem(scope, "policy_pointer", why));
    }
    return b;
  }

  /**
   * The bundle this gateway ran as {@code scope} v{@code floor}: from its own state, else from
   * the write-once version key; null (reported) if neither has it or it does not verify.
   */
  private static PolicyBundle restoreOwn(PolicyStore store, TrustedKeys trusted, String scope, long floor,
      Saved saved, Problems problems) {
    if (floor <= 0) {
      return null;
    }
    String failure;
    try {
      byte[] raw = saved.store().loadPolicy(scope).orElse(null);
      if (raw == null || PolicyBundles.decode(raw).version() != floor) {
        raw = store.raw(scope, floor).orElse(null);
      }
      if (raw != null) {
        PolicyBundle b = PolicyBundles.decode(raw);
        PolicyBundles.verify(b, trusted, scope, floor);
        return b;
      }
      failure = "neither this gateway's state nor the bucket holds " + scope + " v" + floor;
    } catch (PolicyRejected | RuntimeException e) {
      failure = scope + " v" + floor + " cannot be restored: " + e.getMessage();
    } catch (Exception e) {
      failure = scope + " v" + floor + " cannot be read from this gateway's state: " + e;
    }
    problems.report(new Problems.Problem("policy.restore." + scope, "policy_restore",
        AdaptationEvent.Type.POLICY_STORE_PROBLEM, failure + "; the built-in packs run for " + scope
            + " until a version above v" + floor + " is pushed", Map.of("scope", scope)));
    return null;
  }

  /** What an operator is told the gateway does about {@code scope}. */
  private static String keeps(String scope, PolicyBundle running, long floor) {
    if (running != null) {
      return "this gateway keeps running " + running.label();
    }
    return floor > 0 ? "this gateway runs the built-in packs for " + scope + " and applies nothing below v" + floor
        : "this gateway runs no " + scope + " policy";
  }

  /**
   * The problem with pointer {@code p} of {@code scope} for a gateway running v{@code running},
   * or null if there is none: one text at start and later, so a problem is reported once.
   */
  private static String pointerMessage(String scope, PolicyStore.PointerState p, long running, String keeps) {
    if (p.malformed()) {
      return "the live pointer " + scope + " in bucket " + Subjects.POLICY_BUCKET + " holds " + p.describe() + "; "
          + keeps + "; repair it with 'fogwise rules repair --scope " + scope + "'";
    }
    if (p.absent()) {
      return running == 0 ? null : "the live pointer " + scope + " is missing (deleted, or the bucket "
          + Subjects.POLICY_BUCKET + " was purged or deleted); " + keeps + "; the next push makes a new one";
    }
    if (p.version() < running) {
      return "the live pointer " + scope + " names v" + p.version() + ", below v" + running + " which this gateway"
          + " applied; " + keeps + " (history only moves forward; to go back on purpose, 'fogwise rules rollback'"
          + " publishes the old content as a new version)";
    }
    return null;
  }

  private static Problems.Problem pointerProblem(String scope, String kind, String message) {
    return new Problems.Problem("policy.pointer." + scope, kind, AdaptationEvent.Type.POLICY_STORE_PROBLEM, message,
        Map.of("scope", scope));
  }

  /** A rule set and how it was built. */
  record Built(RuleSet rules, PolicyOutcome.Build how, String note, long millis) {}

  /**
   * The rule set of {@code p}: loaded from the signed artifact compiled from exactly its sources
   * if the cloud stored one and it passes every check, else compiled here (blocking).
   *
   * @throws RuleCompilationException if it has to be compiled and does not compile
   */
  static Built build(EffectivePolicy p, PolicyStore store, TrustedKeys trusted, boolean useArtifacts)
      throws RuleCompilationException {
    long t0 = System.nanoTime();
    String note = null;
    if (useArtifacts) {
      String sha = PolicyArtifacts.sourcesSha256(p.sources());
      try {
        byte[] raw = store.artifact(sha).orElse(null);
        if (raw != null) {
          RuleSet set = PolicyArtifacts.load(PolicyArtifacts.decode(raw), trusted, p);
          return new Built(set, PolicyOutcome.Build.ARTIFACT, null, (System.nanoTime() - t0) / 1_000_000L);
        }
      } catch (RuleArtifactException | RuntimeException e) {
        note = "artifact not used: " + e.getMessage();
        LOG.warn("{}: {}; compiling here", p.label(), note);
      }
    }
    RuleSet set = RuleSet.compile(p.label(), p.sources());
    return new Built(set, PolicyOutcome.Build.COMPILED, note, (System.nanoTime() - t0) / 1_000_000L);
  }

  /** What a gateway starts with. */
  public record Initial(PolicyBundle global, PolicyBundle gateway, EffectivePolicy policy, RuleSet rules,
      String how, long buildMillis) {}

  /** The {@code how} tag of {@code fogwise_rules_build_seconds}. */
  static String buildTag(PolicyOutcome.Build how) {
    return how == null ? "failed" : how.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The newest verifiable, not rejected version at or below the pointer and above {@code floor}, or null. */
  private static PolicyBundle fetchQuietly(PolicyStore store, TrustedKeys trusted, String scope, long pointer,
      long floor, java.util.function.BiPredicate<String, Long> rejected) {
    for (long v = pointer; v >= 1 && v > floor && v > pointer - 64; v--) {
      if (rejected.test(scope, v)) {
        continue;
      }
      try {
        byte[] raw = store.raw(scope, v).orElse(null);
        if (raw == null) {
          continue;
        }
        PolicyBundle b = PolicyBundles.decode(raw);
        PolicyBundles.verify(b, trusted, scope, v);
        return b;
      } catch (PolicyRejected | RuntimeException e) {
        LOG.warn("{} v{} not used at start: {}", scope, v, e.getMessage());
      }
    }
    return null;
  }

  /** Starts watching, knowing what is live already (decision thread). */
  public void start(Initial initial) {
    metrics.rulesBuilt(initial.how(), initial.buildMillis());
    GatewayEngine e = engine.get();
    for (PolicyBundle b : new PolicyBundle[] {initial.global(), initial.gateway()}) {
      if (b != null) {
        live.put(b.scope(), b);
        if (e.appliedPolicyVersion(b.scope()) != b.version()) {
          keep(b.scope(), b);
        }
      }
    }
    for (String scope : List.of(Subjects.GLOBAL_SCOPE, gatewayScope)) {
      try {
        watchers.put(scope, watch(scope));
      } catch (RuntimeException ex) {
        watchesLost = true;
        LOG.warn("cannot watch the live pointer {} (retried every {} ms): {}", scope, GUARD_INTERVAL_MS, ex.getMessage());
      }
    }
    timer = scheduler.every(HEALTH_CHECK_INTERVAL, this::checkHealth);
    guardTimer = scheduler.every(Duration.ofMillis(GUARD_INTERVAL_MS), this::guard);
    if (settings.useArtifacts()) {
      warmUpArtifactLoading(initial.rules());
    }
  }

  /**
   * Loads the start-up rule set's own compiled form once, in the background: the first artifact
   * loaded otherwise pays for class loading and interpretation of the deserialization path
   * (about a second on a small machine) in the middle of a push.
   */
  private void warmUpArtifactLoading(RuleSet rules) {
    vertx.executeBlocking(() -> {
      long t0 = System.nanoTime();
      RuleSet.load(rules.label(), rules.sources(), rules.exportCompiled());
      return (System.nanoTime() - t0) / 1_000_000L;
    }, false).onComplete(ar -> {
      if (ar.succeeded()) {
        LOG.debug("artifact loading warmed up in {} ms", ar.result());
      } else {
        LOG.warn("artifact loading warm-up failed (pushed artifacts may still load): {}", ar.cause().toString());
      }
    });
  }

  private long liveVersion(String scope) {
    PolicyBundle b = live.get(scope);
    return b == null ? 0 : b.version();
  }

  private PolicyStore.Watch watch(String scope) {
    return store.watchPointer(scope, p -> ctx.runOnContext(x -> pointerSeen(scope, p)));
  }

  /**
   * Records {@code b} as what {@code scope} runs, in the durable state with the bundle itself
   * (null: none), so a restart restores it whatever the bucket then says (decision thread).
   */
  private void keep(String scope, PolicyBundle b) {
    try {
      own.savePolicy(scope, b == null ? null : PolicyBundles.encode(b));
    } catch (Exception ex) {
      LOG.warn("could not keep {} in the durable state (a restart reads it from the bucket instead): {}",
          b == null ? scope + " (none)" : b.label(), ex.toString());
    }
    engine.get().markPolicyApplied(scope, b == null ? 0 : b.version());
  }

  /** A pointer value from the watch or the guard (decision thread). */
  private void pointerSeen(String scope, PolicyStore.PointerState p) {
    PolicyStore.PointerState before = lastPointer.put(scope, p);
    long running = Math.max(liveVersion(scope), engine.get().appliedPolicyVersion(scope));
    String key = "policy.pointer." + scope;
    String problem = pointerMessage(scope, p, running, keeps(scope, live.get(scope), running));
    if (problem != null) {
      problems.report(pointerProblem(scope, "policy_pointer", problem));
    } else if (p.absent() || p.version() == running || !p.equals(before)) {
      // a newer version that turns out not to be stored is reported again by apply()
      problems.clear(key, p.absent() ? "the live pointer " + scope + " is gone; this gateway runs no " + scope
          + " policy" : "the live pointer " + scope + " names v" + p.version());
    }
    if (!p.malformed() && !p.absent() && (before == null || before.version() != p.version() || before.malformed()
        || before.absent())) {
      offer(scope, p.version());
    }
  }

  private String keeps(String scope) {
    return keeps(scope, live.get(scope), Math.max(liveVersion(scope), engine.get().appliedPolicyVersion(scope)));
  }

  /**
   * Checks the bucket and the pointers besides the watch: a deleted bucket is reported and its
   * watches renewed once it exists again (the next push creates it); a purge, which a watch
   * does not see, shows as a missing pointer (decision thread; the reads run off it).
   */
  private void guard() {
    if (guarding) {
      return;
    }
    guarding = true;
    List<String> scopes = List.of(Subjects.GLOBAL_SCOPE, gatewayScope);
    vertx.executeBlocking(() -> {
      java.util.Optional<java.time.ZonedDateTime> created = store.bucketCreated();
      Map<String, PolicyStore.PointerState> pointers = new HashMap<>();
      if (created.isPresent()) {
        for (String scope : scopes) {
          pointers.put(scope, store.pointerState(scope));
        }
      }
      return new Object[] {created, pointers};
    }, false).onComplete(ar -> {
      guarding = false;
      if (ar.failed()) {
        LOG.debug("policy bucket check failed (NATS unavailable?): {}", ar.cause().toString());
        return;
      }
      @SuppressWarnings("unchecked")
      java.util.Optional<java.time.ZonedDateTime> created = (java.util.Optional<java.time.ZonedDateTime>) ar.result()[0];
      @SuppressWarnings("unchecked")
      Map<String, PolicyStore.PointerState> pointers = (Map<String, PolicyStore.PointerState>) ar.result()[1];
      if (created.isEmpty()) {
        watchesLost = true;
        problems.report(new Problems.Problem(BUCKET_PROBLEM, "policy_bucket", AdaptationEvent.Type.POLICY_STORE_PROBLEM,
            "the policy bucket " + Subjects.POLICY_BUCKET + " does not exist (deleted?); this gateway keeps running "
                + engine.get().policyLabel() + " from its own state; the next 'fogwise rules push' creates the bucket"
                + " again and this gateway applies it", Map.of("bucket", Subjects.POLICY_BUCKET)));
        return;
      }
      problems.clear(BUCKET_PROBLEM, "the policy bucket " + Subjects.POLICY_BUCKET + " exists again");
      if (watchesLost || !created.get().equals(bucketCreated) && bucketCreated != null) {
        renewWatches();
      }
      bucketCreated = created.get();
      pointers.forEach(this::pointerSeen);
    });
  }

  /** Makes every pointer watch anew (after the bucket was deleted and created again). */
  private void renewWatches() {
    watchesLost = false;
    lastPointer.clear();
    Map<String, PolicyStore.Watch> current = new HashMap<>(watchers);
    vertx.executeBlocking(() -> {
      Map<String, PolicyStore.Watch> created = new HashMap<>();
      for (String scope : List.of(Subjects.GLOBAL_SCOPE, gatewayScope)) {
        PolicyStore.Watch w = current.get(scope);
        if (w == null) {
          created.put(scope, watch(scope));
        } else {
          w.renew();
        }
      }
      return created;
    }, false).onComplete(ar -> {
      if (ar.succeeded()) {
        watchers.putAll(ar.result());
      }
      if (ar.failed()) {
        watchesLost = true;
        LOG.warn("cannot watch the policy pointers again (retried in {} ms): {}", GUARD_INTERVAL_MS,
            ar.cause().getMessage());
      } else {
        LOG.info("policy pointer watches renewed (the bucket {} was created again)", Subjects.POLICY_BUCKET);
      }
    });
  }

  /** A new live pointer value (decision thread). */
  private void offer(String scope, long version) {
    if (version == liveVersion(scope)) {
      return;
    }
    if (version == 0) {
      // a missing pointer is reported by pointerSeen; it never takes a scope's policy away
      return;
    }
    if (applying) {
      pending.merge(scope, version, Math::max);
      return;
    }
    apply(scope, version);
  }

  private void apply(String scope, long version) {
    GatewayEngine e = engine.get();
    long received = clock.nanos();
    long floor = Math.max(liveVersion(scope), e.appliedPolicyVersion(scope));
    if (version < floor) {
      reject(scope, version, received, new PolicyRejected(PolicyRejected.Reason.STALE,
          scope + " v" + version + " is not newer than v" + floor + " which this gateway applied (history only moves"
              + " forward)"), List.of(), 0, false);
      return;
    }
    if (e.isPolicyRejected(scope, version)) {
      reject(scope, version, received, new PolicyRejected(PolicyRejected.Reason.PREVIOUSLY_REJECTED,
          scope + " v" + version + " was rejected or rolled back on this gateway before"), List.of(), 0, false);
      return;
    }
    applying = true;
    PolicyBundle other = live.get(scope.equals(Subjects.GLOBAL_SCOPE) ? gatewayScope : Subjects.GLOBAL_SCOPE);
    vertx.executeBlocking(() -> {
      byte[] raw = store.raw(scope, version).orElseThrow(() -> new PolicyRejected(PolicyRejected.Reason.NOT_STORED,
          "the live pointer " + scope + " names v" + version + ", which is not stored (no key "
              + PolicyStore.versionKey(scope, version) + ")"));
      PolicyBundle b = PolicyBundles.decode(raw);
      PolicyBundles.verify(b, trusted, scope, version);
      EffectivePolicy p = scope.equals(Subjects.GLOBAL_SCOPE)
          ? EffectivePolicy.compose(b, gatewayScope, other)
          : EffectivePolicy.compose(other, gatewayScope, b);
      long t0 = System.nanoTime();
      try {
        Built built = build(p, store, trusted, settings.useArtifacts());
        metrics.rulesBuilt(buildTag(built.how()), built.millis());
        return new Compiled(b, p, built.rules(), built.millis(), List.of(), built.how(), built.note());
      } catch (RuleCompilationException ce) {
        long millis = (System.nanoTime() - t0) / 1_000_000L;
        metrics.rulesBuilt(buildTag(null), millis);
        return new Compiled(b, p, null, millis, ce.errors(), null, null);
      }
    }, false).onComplete(ar -> {
      applying = false;
      if (ar.failed()) {
        Throwable t = ar.cause();
        PolicyRejected pr = t instanceof PolicyRejected r ? r
            : new PolicyRejected(PolicyRejected.Reason.MALFORMED, "cannot read " + scope + " v" + version + ": " + t);
        boolean brokenPointer = pr.reason() == PolicyRejected.Reason.NOT_STORED;
        if (brokenPointer) {
          problems.report(pointerProblem(scope, "policy_pointer", pr.getMessage() + "; " + keeps(scope)
              + "; repair it with 'fogwise rules repair --scope " + scope + "'"));
        }
        // A broken pointer is not a bad bundle: the version may still be published properly later.
        reject(scope, version, received, pr, List.of(), 0, !brokenPointer);
      } else if (ar.result().rules() == null) {
        Compiled c = ar.result();
        reject(scope, version, received, new PolicyRejected(PolicyRejected.Reason.INVALID_RULES,
            scope + " v" + version + " does not compile or breaks the sandbox (" + c.errors().size() + " errors)"),
            c.errors(), c.compileMillis(), true);
      } else {
        activate(scope, ar.result(), received);
      }
      drainPending();
    });
  }

  private record Compiled(PolicyBundle bundle, EffectivePolicy policy, RuleSet rules, long compileMillis,
      List<RuleError> errors, PolicyOutcome.Build how, String note) {}

  private void drainPending() {
    if (!pending.isEmpty() && !applying) {
      Map.Entry<String, Long> next = pending.entrySet().iterator().next();
      pending.remove(next.getKey());
      offer(next.getKey(), next.getValue());
    }
  }

  private void activate(String scope, Compiled c, long receivedNanos) {
    GatewayEngine e = engine.get();
    finishProbation();
    PolicyBundle previous = live.get(scope);
    RuleSet previousRules = e.ruleSet();
    Parameters previousParameters = e.parameters();
    String previousLabel = e.policyLabel();
    e.swapRules(c.rules(), new Parameters(c.policy().parameters()), c.policy().label());
    live.put(scope, c.bundle());
    keep(scope, c.bundle());
    problems.clear("policy.pointer." + scope, c.bundle().label() + " applied");
    problems.clear("policy.restore." + scope, c.bundle().label() + " applied");
    long now = clock.millis();
    probation = new Probation(scope, c.bundle(), previous, previousRules, previousParameters, previousLabel,
        now + settings.probation().toMillis(), now, e.ruleFailures(), e.actionsApplied());
    long applyMillis = (clock.nanos() - receivedNanos) / 1_000_000L;
    LOG.info("policy {} APPLIED ({} {} ms, apply {} ms): live {}", c.bundle().label(),
        c.how() == PolicyOutcome.Build.ARTIFACT ? "artifact loaded in" : "compiled in", c.compileMillis(), applyMillis,
        c.policy().label());
    report(scope, c.bundle().version(), PolicyOutcome.State.APPLIED, null, List.of(), c.compileMillis(), applyMillis,
        c.how(), c.note());
    e.policyEvent(AdaptationEvent.Type.POLICY_APPLIED, c.bundle().label() + " applied; live " + c.policy().label(),
        Map.of("scope", scope, "version", Long.toString(c.bundle().version()), "author", c.bundle().author()));
  }

  private void reject(String scope, long version, long receivedNanos, PolicyRejected why, List<RuleError> errors,
      long compileMillis, boolean remember) {
    GatewayEngine e = engine.get();
    if (remember) {
      e.markPolicyRejected(scope, version);
    }
    LOG.warn("policy {} v{} REJECTED: {}", scope, version, why.getMessage());
    report(scope, version, PolicyOutcome.State.REJECTED, why.getMessage(), errors, compileMillis,
        (clock.nanos() - receivedNanos) / 1_000_000L, null, null);
    e.policyEvent(AdaptationEvent.Type.POLICY_REJECTED, scope + " v" + version + " rejected: " + why.getMessage(),
        Map.of("scope", scope, "version", Long.toString(version), "reason", why.reason().name()));
  }

  /** Rolls a rule set in probation back if it failed, exceeded a budget or stormed (decision thread). */
  private void checkHealth() {
    Probation p = probation;
    if (p == null) {
      return;
    }
    GatewayEngine e = engine.get();
    long now = clock.millis();
    long failures = e.ruleFailures() - p.failuresAtStart();
    long actions = e.actionsApplied() - p.actionsAtStart();
    double minutes = Math.max(1.0 / 60, (now - p.startedMillis()) / 60_000.0);
    String why = null;
    if (failures > 0) {
      // an Error or an exhausted allocation budget is a failed evaluation like any other: rolled back at once
      why = failures + " failed evaluation(s), the last: " + e.lastRuleFailure();
    } else if (actions > settings.stormActionsPerMinute() * Math.max(1.0, minutes)) {
      why = actions + " adaptation actions in " + (now - p.startedMillis()) / 1000 + " s, above the storm limit of "
          + settings.stormActionsPerMinute() + " per minute";
    }
    if (why != null) {
      rollback(p, why);
    } else if (now >= p.untilMillis()) {
      finishProbation();
    }
  }

  private void rollback(Probation p, String why) {
    GatewayEngine e = engine.get();
    probation = null;
    e.swapRules(p.previousRules(), p.previousParameters(), p.previousLabel());
    if (p.previous() == null) {
      live.remove(p.scope());
    } else {
      live.put(p.scope(), p.previous());
    }
    e.markPolicyRejected(p.scope(), p.bundle().version());
    keep(p.scope(), p.previous());
    String reason = p.bundle().label() + " rolled back to " + p.previousLabel() + ": " + why;
    LOG.warn("policy {}", reason);
    report(p.scope(), p.bundle().version(), PolicyOutcome.State.ROLLED_BACK, reason, List.of(), 0, 0, null, null);
    e.policyEvent(AdaptationEvent.Type.POLICY_ROLLED_BACK, reason,
        Map.of("scope", p.scope(), "version", Long.toString(p.bundle().version())));
  }

  private void finishProbation() {
    probation = null;
  }

  private void report(String scope, long version, PolicyOutcome.State state, String reason, List<RuleError> errors,
      long compileMillis, long applyMillis, PolicyOutcome.Build how, String note) {
    List<PolicyOutcome.RuleErrorInfo> infos = new ArrayList<>();
    for (RuleError r : errors) {
      infos.add(new PolicyOutcome.RuleErrorInfo(r.file(), r.line(), r.column(), r.message()));
    }
    PolicyOutcome o = new PolicyOutcome(gatewayId, scope, version, state, reason, infos, compileMillis, applyMillis,
        engine.get().policyLabel(), clock.wallMillis(), how, note);
    try {
      nats.publish(Subjects.policyOutcomes(gatewayId), MessageCodec.encode(o));
    } catch (RuntimeException ex) {
      LOG.debug("policy outcome not published: {}", ex.getMessage());
    }
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.cancel();
    }
    if (guardTimer != null) {
      guardTimer.cancel();
    }
    for (PolicyStore.Watch w : watchers.values()) {
      try {
        w.close();
      } catch (RuntimeException ignored) {
        // closing anyway
      }
    }
  }
}
