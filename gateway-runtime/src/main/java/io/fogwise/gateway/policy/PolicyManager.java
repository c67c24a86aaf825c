package io.fogwise.gateway.policy;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Clock;
import io.fogwise.rules.host.RuleArtifactException;
import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.host.RuleError;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.Parameters;
import io.fogwise.rules.policy.EffectivePolicy;
import io.fogwise.rules.policy.PolicyArtifacts;
import io.fogwise.rules.policy.PolicyBundle;
import io.fogwise.rules.policy.PolicyBundles;
import io.fogwise.rules.policy.PolicyRejected;
import io.fogwise.rules.policy.PolicyStore;
import io.fogwise.rules.policy.TrustedKeys;
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
 */
public final class PolicyManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyManager.class);

  private final String gatewayId;
  private final String gatewayScope;
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
  private final List<AutoCloseable> watchers = new ArrayList<>();
  private boolean applying;
  private Probation probation;
  private long timer = -1;

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

  public PolicyManager(String gatewayId, Vertx vertx, Context ctx, Supplier<GatewayEngine> engine, PolicyStore store,
      TrustedKeys trusted, Connection nats, Clock clock, Settings settings) {
    this.gatewayId = gatewayId;
    this.gatewayScope = PolicyBundle.gatewayScope(gatewayId);
    this.vertx = vertx;
    this.ctx = ctx;
    this.engine = engine;
    this.store = Objects.requireNonNull(store, "store");
    this.trusted = Objects.requireNonNull(trusted, "trusted");
    this.nats = nats;
    this.clock = clock;
    this.settings = settings;
  }

  /** The effective policy to start with (blocking: call off the event loop before the engine exists). */
  public static Initial initial(String gatewayId, PolicyStore store, TrustedKeys trusted,
      java.util.function.BiPredicate<String, Long> rejected, List<io.fogwise.rules.host.RuleSource> builtIn,
      boolean useArtifacts) {
    String gwScope = PolicyBundle.gatewayScope(gatewayId);
    PolicyBundle global = fetchQuietly(store, trusted, "global", rejected);
    PolicyBundle mine = fetchQuietly(store, trusted, gwScope, rejected);
    EffectivePolicy p = EffectivePolicy.compose(builtIn, global, gwScope, mine);
    try {
      return new Initial(global, mine, p, build(p, store, trusted, useArtifacts).rules());
    } catch (RuleCompilationException e) {
      LOG.warn("live policy {} does not compile here ({}); starting with the built-in packs", p.label(),
          e.errors().isEmpty() ? "" : e.errors().get(0));
      EffectivePolicy base = EffectivePolicy.compose(builtIn, null, gwScope, null);
      try {
        return new Initial(null, null, base, RuleSet.compile(base.label(), base.sources()));
      } catch (RuleCompilationException impossible) {
        throw new IllegalStateException("the built-in packs do not compile: " + impossible.getMessage(), impossible);
      }
    }
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
  public record Initial(PolicyBundle global, PolicyBundle gateway, EffectivePolicy policy, RuleSet rules) {}

  /** The newest verifiable, not rejected version at or below the live pointer, or null. */
  private static PolicyBundle fetchQuietly(PolicyStore store, TrustedKeys trusted, String scope,
      java.util.function.BiPredicate<String, Long> rejected) {
    long pointer;
    try {
      pointer = store.liveVersion(scope);
    } catch (RuntimeException e) {
      LOG.warn("cannot read the live {} policy pointer: {}", scope, e.getMessage());
      return null;
    }
    for (long v = pointer; v >= 1 && v > pointer - 64; v--) {
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

  /** Starts watching, knowing what is live already. */
  public void start(Initial initial) {
    if (initial.global() != null) {
      live.put("global", initial.global());
    }
    if (initial.gateway() != null) {
      live.put(gatewayScope, initial.gateway());
    }
    for (String scope : List.of("global", gatewayScope)) {
      watchers.add(store.watchLive(scope, v -> ctx.runOnContext(x -> offer(scope, v))));
    }
    timer = vertx.setPeriodic(250, id -> checkHealth());
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

  /** A new live pointer value (decision thread). */
  private void offer(String scope, long version) {
    if (version == liveVersion(scope)) {
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
    if (version < liveVersion(scope)) {
      reject(scope, version, received, new PolicyRejected(PolicyRejected.Reason.STALE,
          scope + " v" + version + " is not newer than the live v" + liveVersion(scope)), List.of(), 0, false);
      return;
    }
    if (e.isPolicyRejected(scope, version)) {
      reject(scope, version, received, new PolicyRejected(PolicyRejected.Reason.PREVIOUSLY_REJECTED,
          scope + " v" + version + " was rejected or rolled back on this gateway before"), List.of(), 0, false);
      return;
    }
    applying = true;
    PolicyBundle other = live.get(scope.equals("global") ? gatewayScope : "global");
    vertx.executeBlocking(() -> {
      byte[] raw = store.raw(scope, version).orElseThrow(() -> new PolicyRejected(PolicyRejected.Reason.MALFORMED,
          "no bundle stored under " + PolicyStore.versionKey(scope, version)));
      PolicyBundle b = PolicyBundles.decode(raw);
      PolicyBundles.verify(b, trusted, scope, version);
      EffectivePolicy p = scope.equals("global")
          ? EffectivePolicy.compose(b, gatewayScope, other)
          : EffectivePolicy.compose(other, gatewayScope, b);
      long t0 = System.nanoTime();
      try {
        Built built = build(p, store, trusted, settings.useArtifacts());
        return new Compiled(b, p, built.rules(), built.millis(), List.of(), built.how(), built.note());
      } catch (RuleCompilationException ce) {
        return new Compiled(b, p, null, (System.nanoTime() - t0) / 1_000_000L, ce.errors(), null, null);
      }
    }, false).onComplete(ar -> {
      applying = false;
      if (ar.failed()) {
        Throwable t = ar.cause();
        PolicyRejected pr = t instanceof PolicyRejected r ? r
            : new PolicyRejected(PolicyRejected.Reason.MALFORMED, "cannot read " + scope + " v" + version + ": " + t);
        reject(scope, version, received, pr, List.of(), 0, true);
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
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    for (AutoCloseable w : watchers) {
      try {
        w.close();
      } catch (Exception ignored) {
        // closing anyway
      }
    }
  }
}
