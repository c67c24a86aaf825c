package io.fogwise.gateway.core;

import io.fogwise.gateway.metrics.GatewayMetrics;
import io.fogwise.gateway.orchestrator.Orchestrator;
import io.fogwise.gateway.reconcile.DesiredState;
import io.fogwise.gateway.reconcile.Placement;
import io.fogwise.gateway.reconcile.Reconciler;
import io.fogwise.gateway.reconcile.Step;
import io.fogwise.gateway.store.DesiredSnapshot;
import io.fogwise.gateway.store.DesiredStore;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.Clock;
import io.fogwise.rules.Action;
import io.fogwise.rules.detect.PhiAccrualDetector;
import io.fogwise.rules.host.RuleHost;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.Instance;
import io.fogwise.rules.model.LatencyReading;
import io.fogwise.rules.model.Movement;
import io.fogwise.rules.model.Reading;
import io.fogwise.rules.model.Parameters;
import io.fogwise.rules.registry.DeviceRegistry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's decision core: registry, rules and reconciler on one thread and one injected
 * clock. Inbound messages update the registry; each {@link #tick()} turns time into
 * suspicion, lets the rules decide, applies their actions to desired state, reconciles, and
 * hands commands to the orchestrator. Independent of Vert.x and NATS so tests drive it with a
 * manual clock. Every method must be called on the decision thread; orchestrator replies are
 * brought back to it through the {@code decisionThread} executor.
 */
public final class GatewayEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayEngine.class);
  private static final int MAX_ROUNDS = 5;
  private static final int RECENT_EVENTS = 500;
  private static final long STALL_STEP_MS = 250;
  private static final long ALERT_REPEAT_MS = 600_000;
  private static final long REPLAY_MS = 600_000;
  private static final long MOVEMENT_REPLAY_MS = 7_200_000;
  private static final int REPLAY_MAX = 200_000;

  private final String gatewayId;
  private final Clock clock;
  private final DeviceRegistry registry;
  private final DesiredState desired = new DesiredState();
  private final Reconciler reconciler;
  private final Orchestrator orchestrator;
  private final Executor decisionThread;
  private final EventSink events;
  private final GatewayMetrics metrics;
  private final long startedAtWallMillis;
  private final AtomicLong eventSeq = new AtomicLong();
  private final AtomicLong requestSeq = new AtomicLong();
  private final Deque<AdaptationEvent> recent = new ArrayDeque<>();
  private final Set<String> dirtyServices = new HashSet<>();
  private final Map<String, Instance> instanceFacts = new HashMap<>();
  private final Map<String, Failover> failedOver = new HashMap<>();
  private final Map<String, Long> quarantines = new HashMap<>();
  private final DesiredStore store;
  private final int firingBudget;
  private long savedDesiredVersion = -1;
  private long savedPlacementVersion = -1;
  private long lastStoreWarnNanos;
  private long ruleFailures;
  private String lastRuleFailure;
  private long lastRuleFailureNanos;
  private long actionsApplied;
  private final Map<String, java.util.TreeSet<Long>> rejectedPolicies = new TreeMap<>();
  private long policyStateVersion;
  private long savedPolicyStateVersion;
  private final Deque<TimedEvent> replay = new ArrayDeque<>();
  private final Map<String, Long> alertsSeen = new HashMap<>();
  private String policyLabel;
  private RuleHost rules;
  private Parameters parameters;
  private long syncedPlacementVersion = -1;
  private boolean closed;

  private GatewayEngine(Builder b) {
    this.gatewayId = b.gatewayId;
    this.clock = b.clock;
    this.registry = new DeviceRegistry(b.clock, b.detector);
    this.reconciler = new Reconciler(b.reconcilerSettings);
    this.orchestrator = b.orchestrator;
    this.decisionThread = b.decisionThread;
    this.events = b.events;
    this.metrics = b.metrics;
    this.parameters = b.parameters;
    this.store = b.store;
    this.startedAtWallMillis = b.clock.wallMillis();
    this.firingBudget = b.firingBudget;
    this.rules = new RuleHost(b.rules, b.clock, b.firingBudget);
    rules.put("params", parameters);
    metrics.deviceGauges(this::deviceCounts);
  }

  /** A builder; the gateway id, clock, rule set and orchestrator are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Takes in a heartbeat that arrived at monotonic {@code arrivalNanos}. */
  public void onHeartbeat(Heartbeat hb, long arrivalNanos) {
    DeviceRegistry.Observation obs = registry.onHeartbeat(hb, arrivalNanos);
    long now = clock.millis();
    switch (obs) {
      case JOINED -> {
        LOG.info("device {} joined ({} {}, labels {})", hb.deviceId(), hb.layer(), hb.deviceClass(), hb.labels());
        emit(AdaptationEvent.Type.DEVICE_JOINED, hb.deviceId(), null, 0, null,
            "device " + hb.deviceId() + " joined as " + hb.layer(), Map.of("labels", hb.labels().toString()));
      }
      case RETURNED -> {
        LOG.info("device {} returned after being declared lost", hb.deviceId());
        emit(AdaptationEvent.Type.DEVICE_RETURNED, hb.deviceId(), null, 0, null,
            "device " + hb.deviceId() + " is heartbeating again; its stale instances will be fenced", Map.of());
      }
      case ALIVE -> { }
    }
    if (!closed) {
      reconciler.fence(hb.deviceId(), registry, desired, now).forEach(s -> execute(s, now));
    }
    for (Placement p : reconciler.observe(hb.deviceId(), hb.instances(), now)) {
      metrics.reconcileAction("confirmed");
      Failover fo = failedOver.remove(p.service());
      if (fo != null) {
        metrics.recovered(now - fo.decidedAtMillis());
        event(new Movement(p.service(), fo.deviceId(), p.deviceId(), Movement.Kind.FAILOVER, now), now);
      }
      emit(AdaptationEvent.Type.INSTANCE_STARTED, p.deviceId(), p.service(), p.epoch(), null,
          "instance of " + p.service() + " epoch " + p.epoch() + " running on " + p.deviceId(),
          fo == null ? Map.of() : Map.of("replaces", fo.deviceId(),
              "recoveryMs", Long.toString(now - fo.decidedAtMillis())));
    }
  }

  /** Takes in a telemetry reading. */
  public void onTelemetry(Telemetry t) {
    if (registry.onTelemetry(t)) {
      event(new Reading(t.deviceId(), clock.millis(), t.temperatureC(), t.batteryPct(), t.cpuLoad()), clock.millis());
    }
  }

  /** Takes in a subscriber's report: one latency reading per publishing service it heard. */
  public void onSubscriberStats(SubscriberStats s) {
    for (SubscriberStats.PublisherStats p : s.publishers()) {
      if (desired.spec(p.service()) != null && p.received() > 0) {
        event(new LatencyReading(p.service(), s.subscriberId(), clock.millis(), p.latencyP50Micros(),
            p.latencyP99Micros()), clock.millis());
      }
    }
  }

  /** One decision cycle at the clock's now. */
  public void tick() {
    if (closed) {
      return;
    }
    long start = System.nanoTime();
    long now = clock.millis();
    registry.refreshSuspicion();
    dirtyServices.addAll(desired.expireExclusions(now));
    quarantines.entrySet().removeIf(q -> {
      if (q.getValue() <= now) {
        registry.setQuarantined(q.getKey(), false);
        emit(AdaptationEvent.Type.DEVICE_RELEASED, q.getKey(), null, 0, null, "quarantine of " + q.getKey() + " expired",
            Map.of());
        return true;
      }
      return false;
    });
    int firings = 0;
    try {
      for (int round = 0; round < MAX_ROUNDS; round++) {
        syncFacts(now);
        RuleHost.Evaluation eval = rules.evaluate();
        firings += eval.fired();
        if (eval.budgetExceeded()) {
          ruleFailure("rule set " + rules.rules().label() + " exceeded its firing budget in one cycle (a rule loops)");
        }
        if (eval.wallTimeExceeded() || eval.allocationExceeded() || eval.errorThrown()) {
          ruleFailure("rule set " + rules.rules().label() + ": " + eval.failure());
        }
        if (eval.actions().isEmpty()) {
          break;
        }
        actionsApplied += eval.actions().size();
        eval.actions().forEach(a -> apply(a, now));
      }
    } catch (Throwable e) {
      // nothing a rule throws (an Error too) may stop the mechanism: reconciling goes on, the failure is reported
      ruleFailure("rule set " + rules.rules().label() + " failed: " + rootCause(e));
    }
    List<Step> steps = reconciler.reconcile(desired, registry, now);
    persist(); // write-ahead: a decision is durable before its commands go out
    steps.forEach(s -> execute(s, now));
    syncFacts(now);
    metrics.cycle(System.nanoTime() - start, firings);
  }

  private void ruleFailure(String why) {
    ruleFailures++;
    lastRuleFailure = why;
    long nowNanos = System.nanoTime();
    if (nowNanos - lastRuleFailureNanos > 10_000_000_000L) {
      lastRuleFailureNanos = nowNanos;
      LOG.warn("{} ({} failures so far)", why, ruleFailures);
      emit(AdaptationEvent.Type.ALERT, null, null, 0, null, why, Map.of("failures", Long.toString(ruleFailures)));
    }
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  /** Evaluation cycles that failed (a rule threw or exceeded a budget) since start. */
  public long ruleFailures() {
    return ruleFailures;
  }

  /** Why the last failed evaluation cycle failed, in one line, or null. */
  public String lastRuleFailure() {
    return lastRuleFailure;
  }

  private void apply(Action action, long now) {
    if (action instanceof Action.DeclareLost lost) {
      Device d = registry.get(lost.deviceId());
      if (d != null && registry.markLost(lost.deviceId())) {
        LOG.info("device {} lost: {} [rule '{}']", lost.deviceId(), lost.reason(), lost.rule());
        metrics.deviceLost(d.getSilenceMs());
        emit(AdaptationEvent.Type.DEVICE_LOST, lost.deviceId(), null, 0, lost.rule(), lost.reason(),
            Map.of("phi", Double.toString(d.getPhi()), "silenceMs", Long.toString(d.getSilenceMs())));
      }
    } else if (action instanceof Action.Exclude ex) {
      long until = now + (long) parameters.number("failover.exclusionMs");
      if (desired.exclude(ex.service(), ex.deviceId(), until)) {
        dirtyServices.add(ex.service());
        LOG.info("service {} excluded from {}: {} [rule '{}']", ex.service(), ex.deviceId(), ex.reason(), ex.rule());
        failedOver.put(ex.service(), new Failover(ex.deviceId(), now));
        emit(AdaptationEvent.Type.DEVICE_EXCLUDED, ex.deviceId(), ex.service(), 0, ex.rule(), ex.reason(), Map.of());
      }
    } else if (action instanceof Action.Quarantine q) {
      Device d = registry.get(q.deviceId());
      if (d != null && !d.isQuarantined()) {
        registry.setQuarantined(q.deviceId(), true);
        quarantines.put(q.deviceId(), now + (long) parameters.number("compliance.quarantineMs"));
        for (Placement pl : reconciler.placements()) {
          if (pl.deviceId().equals(q.deviceId())) {
            failedOver.put(pl.service(), new Failover(q.deviceId(), now));
          }
        }
        LOG.info("device {} quarantined: {} [rule '{}']", q.deviceId(), q.reason(), q.rule());
        emit(AdaptationEvent.Type.DEVICE_QUARANTINED, q.deviceId(), null, 0, q.rule(), q.reason(), Map.of());
      }
    } else if (action instanceof Action.Release r) {
      Device d = registry.get(r.deviceId());
      if (d != null && d.isQuarantined()) {
        registry.setQuarantined(r.deviceId(), false);
        quarantines.remove(r.deviceId());
        emit(AdaptationEvent.Type.DEVICE_RELEASED, r.deviceId(), null, 0, r.rule(), r.reason(), Map.of());
      }
    } else if (action instanceof Action.Migrate mg) {
      ServiceResponse r = move(mg.service(), mg.layer(), mg.deviceId());
      if (!r.ok()) {
        emit(AdaptationEvent.Type.ALERT, mg.deviceId(), mg.service(), 0, mg.rule(),
            "could not move " + mg.service() + ": " + r.error(), Map.of());
      } else {
        event(new Movement(mg.service(), null, mg.layer() != null ? mg.layer().name() : mg.deviceId(),
            Movement.Kind.MIGRATION, now), now);
        LOG.info("service {} to move to {}: {} [rule '{}']", mg.service(),
            mg.layer() != null ? mg.layer() : mg.deviceId(), mg.reason(), mg.rule());
      }
    } else if (action instanceof Action.SetReplicas sr) {
      ServiceSpec spec = desired.spec(sr.service());
      if (spec != null && spec.replicas() != sr.replicas()) {
        desired.apply(spec.withReplicas(sr.replicas()));
        dirtyServices.add(sr.service());
        LOG.info("service {} set to {} replicas: {} [rule '{}']", sr.service(), sr.replicas(), sr.reason(), sr.rule());
        emit(AdaptationEvent.Type.SERVICE_APPLIED, null, sr.service(), 0, sr.rule(),
            "replicas of " + sr.service() + " set to " + sr.replicas() + ": " + sr.reason(), Map.of());
      }
    } else if (action instanceof Action.Restart rs) {
      Step.Stop stop = reconciler.restart(rs.service(), rs.deviceId(), rs.epoch(), now);
      if (stop != null) {
        failedOver.put(rs.service(), new Failover(rs.deviceId(), now));
        LOG.info("replacing {} epoch {} on {}: {} [rule '{}']", rs.service(), rs.epoch(), rs.deviceId(), rs.reason(), rs.rule());
        emit(AdaptationEvent.Type.INSTANCE_STOPPED, rs.deviceId(), rs.service(), rs.epoch(), rs.rule(),
            "replacing " + rs.service() + " epoch " + rs.epoch() + " on " + rs.deviceId() + ": " + rs.reason(), Map.of());
        command(rs.deviceId(), Command.stop(nextRequestId(), rs.service(), rs.epoch()), (r, e) -> {});
      }
    } else if (action instanceof Action.SetParameter sp) {
      if (!sp.value().equals(parameters.values().get(sp.key()))) {
        parameters = parameters.with(sp.key(), sp.value());
        rules.put("params", parameters);
        LOG.info("parameter {} = {}: {} [rule '{}']", sp.key(), sp.value(), sp.reason(), sp.rule());
        emit(AdaptationEvent.Type.PARAMETER_SET, null, null, 0, sp.rule(),
            sp.key() + " = " + sp.value() + ": " + sp.reason(), Map.of("key", sp.key(), "value", sp.value()));
      }
    } else if (action instanceof Action.Alert alert) {
      // a rule set swapped in re-evaluates everything: the same alert is not raised twice
      String key = alert.rule() + "|" + alert.reason();
      Long until = alertsSeen.get(key);
      if (until != null && until > now) {
        return;
      }
      alertsSeen.put(key, now + ALERT_REPEAT_MS);
      alertsSeen.values().removeIf(u -> u <= now);
      LOG.warn("alert: {} [rule '{}']", alert.reason(), alert.rule());
      emit(AdaptationEvent.Type.ALERT, null, null, 0, alert.rule(), alert.reason(), Map.of());
    }
  }

  private void execute(Step step, long now) {
    if (step instanceof Step.Start s) {
      metrics.reconcileAction("start");
      if (failedOver.containsKey(s.spec().name())) {
        metrics.failover(s.spec().name());
      }
      LOG.info("starting {} epoch {} on {}", s.spec().name(), s.epoch(), s.deviceId());
      emit(AdaptationEvent.Type.INSTANCE_STARTING, s.deviceId(), s.spec().name(), s.epoch(), null,
          "starting " + s.spec().name() + " epoch " + s.epoch() + " on " + s.deviceId(), Map.of());
      Command cmd = Command.start(nextRequestId(), s.spec().name(), s.spec().kind(), s.epoch(), s.spec().config());
      command(s.deviceId(), cmd, (reply, error) -> {
        if (error != null && reconciler.startRefused(s.spec().name(), s.deviceId(), s.epoch(), clock.millis())) {
          LOG.warn("start of {} epoch {} on {} failed: {}", s.spec().name(), s.epoch(), s.deviceId(), error);
          metrics.reconcileAction("start_failed");
          emit(AdaptationEvent.Type.INSTANCE_START_FAILED, s.deviceId(), s.spec().name(), s.epoch(), null, error, Map.of());
        }
      });
    } else if (step instanceof Step.Stop s) {
      metrics.reconcileAction(s.reason() == Step.StopReason.FENCED ? "fence" : "stop");
      AdaptationEvent.Type type =
          s.reason() == Step.StopReason.FENCED ? AdaptationEvent.Type.INSTANCE_FENCED : AdaptationEvent.Type.INSTANCE_STOPPED;
      LOG.info("stopping {} epoch {} on {} ({})", s.service(), s.epoch(), s.deviceId(), s.reason());
      emit(type, s.deviceId(), s.service(), s.epoch(), null,
          "stopping " + s.service() + " epoch " + s.epoch() + " on " + s.deviceId() + ": " + s.reason().name().toLowerCase(),
          Map.of());
      command(s.deviceId(), Command.stop(nextRequestId(), s.service(), s.epoch()), (reply, error) -> {
        if (error != null) {
          LOG.debug("stop of {} epoch {} on {}: {}", s.service(), s.epoch(), s.deviceId(), error);
        }
      });
    } else if (step instanceof Step.Migrate m) {
      migrate(m);
    } else if (step instanceof Step.Abandon a) {
      metrics.reconcileAction("abandon");
      emit(AdaptationEvent.Type.INSTANCE_ABANDONED, a.placement().deviceId(), a.placement().service(),
          a.placement().epoch(), null, a.reason(), Map.of());
    } else if (step instanceof Step.StartFailed f) {
      metrics.reconcileAction("start_failed");
      emit(AdaptationEvent.Type.INSTANCE_START_FAILED, f.placement().deviceId(), f.placement().service(),
          f.placement().epoch(), null, f.reason(), Map.of());
    } else if (step instanceof Step.Started) {
      // confirmations are reported from onHeartbeat
    }
  }

  /**
   * Sends a command and hands the outcome back on the decision thread: {@code then} gets the
   * reply and an error (the device's refusal or the missing reply), null if it succeeded.
   * Missing replies count toward the device's command failures; any reply resets them.
   */
  private void command(String deviceId, Command c, java.util.function.BiConsumer<CommandReply, String> then) {
    orchestrator.send(deviceId, c).whenComplete((reply, err) -> decisionThread.execute(() -> {
      if (closed) {
        return;
      }
      if (err != null) {
        registry.commandFailed(deviceId);
        then.accept(null, err.getMessage());
      } else {
        registry.commandAnswered(deviceId);
        then.accept(reply, reply.ok() ? null : reply.error());
      }
    }));
  }

  /**
   * A planned migration, make-before-break: start the new instance idle, hand the output and
   * its numbering over from the old one, activate the new one from that number, and only then
   * stop the old one. A failure before the hand-over leaves the old instance as it was; a
   * failure to activate the new one resumes the old one where it stopped.
   */
  private void migrate(Step.Migrate m) {
    String svc = m.spec().name();
    Placement from = m.from();
    Placement to = m.to();
    long startedNanos = clock.nanos();
    metrics.reconcileAction("migrate");
    // the decision is what damping holds on to, so a policy cannot move the service again meanwhile
    event(new Movement(svc, from.deviceId(), to.deviceId(), Movement.Kind.MIGRATION, clock.millis()), clock.millis());
    LOG.info("moving {} epoch {} on {} to epoch {} on {}", svc, from.epoch(), from.deviceId(), to.epoch(), to.deviceId());
    emit(AdaptationEvent.Type.MIGRATION_STARTED, to.deviceId(), svc, to.epoch(), null,
        "moving " + svc + " from " + from.deviceId() + " (epoch " + from.epoch() + ") to " + to.deviceId()
            + " (epoch " + to.epoch() + "), make-before-break",
        Map.of("from", from.deviceId(), "fromEpoch", Long.toString(from.epoch())));
    command(to.deviceId(), Command.standby(nextRequestId(), svc, m.spec().kind(), to.epoch(), m.spec().config()),
        (started, e1) -> {
          if (e1 != null) {
            abortMigration(m, "the new instance did not start: " + e1, false);
            return;
          }
          long handoverNanos = clock.nanos();
          // The hand-over gap is the subscribers' outage: ACTIVATE goes out from the reply's own
          // thread, without waiting for the decision thread; the outcome is handled there.
          String activateId = nextRequestId();
          orchestrator.send(from.deviceId(), Command.handover(nextRequestId(), svc, from.epoch()))
              .thenCompose(handed -> {
                if (!handed.ok()) {
                  throw new java.util.concurrent.CompletionException(new HandoverRefused(handed.error()));
                }
                long next = handed.nextNumber() == null ? 0 : handed.nextNumber();
                return orchestrator.send(to.deviceId(), Command.activate(activateId, svc, to.epoch(), next))
                    .handle((activated, err) -> new Activation(next, activated, err));
              })
              .whenComplete((activation, err) -> decisionThread.execute(() -> {
                if (closed) {
                  return;
                }
                if (err != null) {
                  Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                      ? err.getCause() : err;
                  if (!(cause instanceof HandoverRefused)) {
                    registry.commandFailed(from.deviceId());
                  }
                  abortMigration(m, "the old instance did not hand over: " + cause.getMessage(), true);
                  return;
                }
                registry.commandAnswered(from.deviceId());
                long next = activation.next();
                String e3 = activation.error() != null ? activation.error().getMessage()
                    : activation.reply().ok() ? null : activation.reply().error();
                if (e3 != null) {
                  if (activation.error() != null) {
                    registry.commandFailed(to.deviceId());
                  }
                  command(from.deviceId(), Command.activate(nextRequestId(), svc, from.epoch(), next), (r, e4) -> {});
                  abortMigration(m, "the new instance did not take over: " + e3 + "; the old one resumes", true);
                  return;
                }
                registry.commandAnswered(to.deviceId());
                long handoverMs = (clock.nanos() - handoverNanos) / 1_000_000L;
                long totalMs = (clock.nanos() - startedNanos) / 1_000_000L;
                reconciler.completeMigration(svc);
                metrics.migration(true, totalMs);
                LOG.info("moved {} to {} epoch {} (continues at number {}, hand-over {} ms)", svc, to.deviceId(),
                    to.epoch(), next, handoverMs);
                emit(AdaptationEvent.Type.MIGRATION_COMPLETED, to.deviceId(), svc, to.epoch(), null,
                    svc + " now runs on " + to.deviceId() + " epoch " + to.epoch() + ", continuing at number " + next,
                    Map.of("from", from.deviceId(), "nextNumber", Long.toString(next),
                        "handoverMs", Long.toString(handoverMs), "totalMs", Long.toString(totalMs)));
                reconciler.stopping(svc, from.deviceId(), from.epoch(), clock.millis());
                command(from.deviceId(), Command.stop(nextRequestId(), svc, from.epoch()), (r, e5) -> {
                  if (e5 != null) {
                    LOG.debug("stop of the old instance of {} on {}: {}", svc, from.deviceId(), e5);
                  }
                });
              }));
        });
  }

  private record Activation(long next, CommandReply reply, Throwable error) {}

  private static final class HandoverRefused extends RuntimeException {
    HandoverRefused(String message) {
      super(message, null, false, false);
    }
  }

  private void abortMigration(Step.Migrate m, String why, boolean stopNew) {
    String svc = m.spec().name();
    reconciler.abortMigration(svc, clock.millis());
    metrics.migration(false, 0);
    LOG.warn("moving {} to {} failed: {}", svc, m.to().deviceId(), why);
    emit(AdaptationEvent.Type.MIGRATION_FAILED, m.to().deviceId(), svc, m.to().epoch(), null, why, Map.of());
    reconciler.stopping(svc, m.to().deviceId(), m.to().epoch(), clock.millis());
    command(m.to().deviceId(), Command.stop(nextRequestId(), svc, m.to().epoch()), (r, e) -> {});
  }

  private void syncFacts(long now) {
    for (Device d : registry.drainChanged()) {
      rules.putDevice(d);
    }
    Map<String, Instance> current = new HashMap<>();
    Map<String, Integer> perDevice = new HashMap<>();
    for (Placement p : reconciler.placements()) {
      Instance.InstanceState st = p.state() == Placement.State.RUNNING
          ? Instance.InstanceState.RUNNING : Instance.InstanceState.STARTING;
      // stall time is published in steps, so a producing instance causes no rule work
      long stalled = p.stalledMillis(now) / STALL_STEP_MS * STALL_STEP_MS;
      current.put(p.key(), new Instance(p.service(), p.deviceId(), p.epoch(), st, stalled, p.version()));
      perDevice.merge(p.deviceId(), 1, Integer::sum);
    }
    for (String key : new ArrayList<>(instanceFacts.keySet())) {
      if (!current.containsKey(key)) {
        rules.remove("instance:" + key);
        instanceFacts.remove(key);
      }
    }
    current.forEach((key, inst) -> {
      if (!inst.equals(instanceFacts.get(key))) {
        rules.put("instance:" + key, inst);
        instanceFacts.put(key, inst);
      }
    });
    if (reconciler.version() != syncedPlacementVersion) {
      syncedPlacementVersion = reconciler.version();
      for (Device d : registry.all()) {
        registry.setInstanceCount(d.getId(), perDevice.getOrDefault(d.getId(), 0));
      }
      for (Device d : registry.drainChanged()) {
        rules.putDevice(d);
      }
    }
    for (String name : dirtyServices) {
      Object fact = desired.fact(name, now);
      if (fact == null) {
        rules.remove("service:" + name);
      } else {
        rules.put("service:" + name, fact);
      }
    }
    dirtyServices.clear();
  }

  /** Handles an operator's service request. */
  public ServiceResponse handle(ServiceRequest req) {
    ServiceResponse r = handleRequest(req);
    persist();
    return r;
  }

  private ServiceResponse handleRequest(ServiceRequest req) {
    switch (req.op()) {
      case APPLY -> {
        ServiceSpec spec = req.spec();
        desired.apply(spec);
        dirtyServices.add(spec.name());
        LOG.info("service {} applied: {} x{} placement {}", spec.name(), spec.kind(), spec.replicas(), spec.placement());
        emit(AdaptationEvent.Type.SERVICE_APPLIED, null, spec.name(), 0, null,
            "service " + spec.name() + " applied (" + spec.replicas() + " replicas)", Map.of());
        return ServiceResponse.ok(List.of(spec));
      }
      case DELETE -> {
        ServiceSpec spec = desired.spec(req.name());
        if (spec == null || !desired.delete(req.name())) {
          return ServiceResponse.error("name", "no service named '" + req.name() + "'");
        }
        dirtyServices.add(req.name());
        emit(AdaptationEvent.Type.SERVICE_DELETED, null, req.name(), 0, null, "service " + req.name() + " deleted", Map.of());
        return ServiceResponse.ok(List.of(spec));
      }
      case GET -> {
        ServiceSpec spec = desired.spec(req.name());
        return spec == null
            ? ServiceResponse.error("name", "no service named '" + req.name() + "'")
            : ServiceResponse.ok(List.of(spec));
      }
      case LIST -> {
        return ServiceResponse.ok(List.copyOf(desired.specs()));
      }
      case MOVE -> {
        return move(req);
      }
      default -> throw new IllegalStateException("unhandled op " + req.op());
    }
  }

  private ServiceResponse move(ServiceRequest req) {
    return move(req.name(), req.toLayer(), req.toDevice());
  }

  private ServiceResponse move(String name, io.fogwise.protocol.Layer toLayer, String toDevice) {
    ServiceSpec spec = desired.spec(name);
    long now = clock.millis();
    if (spec == null) {
      return ServiceResponse.error("name", "no service named '" + name + "'");
    }
    if (reconciler.migration(name) != null) {
      return ServiceResponse.error("name", "service '" + name + "' is already being moved");
    }
    String target;
    if (toLayer != null) {
      ServiceSpec moved = spec.withPlacement(new ServiceSpec.Placement(toLayer, spec.placement().labels()));
      boolean possible = registry.all().stream().anyMatch(d -> d.getState() == io.fogwise.rules.model.DeviceState.ALIVE
          && moved.placement().admits(d.getLayer(), d.getLabels()) && !desired.isExcluded(name, d.getId(), now));
      if (!possible) {
        return ServiceResponse.error("toLayer", "no alive device in layer " + toLayer + " admits service '" + name
            + "'" + (spec.placement().labels().isEmpty() ? "" : " (labels " + spec.placement().labels() + ")"));
      }
      desired.apply(moved);
      desired.prefer(name, null);
      target = "layer " + toLayer;
    } else {
      Device d = registry.get(toDevice);
      if (d == null || d.getState() != io.fogwise.rules.model.DeviceState.ALIVE) {
        return ServiceResponse.error("toDevice", "device '" + toDevice + "' is " + (d == null ? "unknown" : "lost"));
      }
      if (d.isQuarantined()) {
        return ServiceResponse.error("toDevice", "device '" + toDevice + "' is quarantined");
      }
      if (!spec.placement().admits(d.getLayer(), d.getLabels())) {
        return ServiceResponse.error("toDevice", "device '" + d.getId() + "' (" + d.getLayer() + " " + d.getLabels()
            + ") does not satisfy the placement of '" + name + "' (" + (spec.placement().layer() == null ? "any layer"
            : spec.placement().layer()) + " " + spec.placement().labels() + "); move it to that layer with toLayer first");
      }
      if (desired.isExcluded(name, d.getId(), now)) {
        return ServiceResponse.error("toDevice", "service '" + name + "' is excluded from device '" + d.getId() + "'");
      }
      desired.prefer(name, d.getId());
      target = "device " + d.getId();
    }
    dirtyServices.add(name);
    LOG.info("service {} to be moved to {}", name, target);
    emit(AdaptationEvent.Type.SERVICE_APPLIED, null, name, 0, null, "service " + name + " to be moved to " + target,
        Map.of("move", target));
    return ServiceResponse.ok(List.of(desired.spec(name)));
  }

  /** Saves the desired state and placements if they changed since the last save. */
  private void persist() {
    if (desired.version() == savedDesiredVersion && reconciler.version() == savedPlacementVersion
        && policyStateVersion == savedPolicyStateVersion) {
      return;
    }
    try {
      store.save(snapshot());
      savedDesiredVersion = desired.version();
      savedPlacementVersion = reconciler.version();
      savedPolicyStateVersion = policyStateVersion;
    } catch (Exception e) {
      long now = System.nanoTime();
      if (now - lastStoreWarnNanos > 10_000_000_000L) {
        lastStoreWarnNanos = now;
        LOG.warn("could not save desired state (will retry every cycle): {}", e.toString());
      }
    }
  }

  /** The durable part of this gateway's state. */
  public DesiredSnapshot snapshot() {
    long now = clock.millis();
    long wall = clock.wallMillis();
    List<DesiredSnapshot.Exclusion> exclusions = new ArrayList<>();
    desired.exclusions().forEach((svc, m) -> m.forEach((dev, until) -> {
      if (until > now) {
        exclusions.add(new DesiredSnapshot.Exclusion(svc, dev, wall + (until - now)));
      }
    }));
    List<DesiredSnapshot.PlacementRecord> placed = new ArrayList<>();
    Map<String, DesiredSnapshot.DeviceRecord> hosts = new TreeMap<>();
    for (Placement p : reconciler.placements()) {
      placed.add(new DesiredSnapshot.PlacementRecord(p.service(), p.deviceId(), p.epoch(), p.version()));
      Device d = registry.get(p.deviceId());
      if (d != null) {
        hosts.put(d.getId(), new DesiredSnapshot.DeviceRecord(d.getId(), d.getLayer(), d.getDeviceClass(), d.getLabels()));
      }
    }
    Map<String, List<Long>> rejected = new TreeMap<>();
    rejectedPolicies.forEach((scope, versions) -> rejected.put(scope, List.copyOf(versions)));
    return new DesiredSnapshot(DesiredSnapshot.FORMAT, wall, List.copyOf(desired.specs()), desired.epochs(),
        desired.preferences(), exclusions, placed, List.copyOf(hosts.values()), rejected);
  }

  /**
   * Resumes from a saved snapshot: services, epochs, preferences and exclusions come back, and
   * placements are adopted as running without any command, so healthy instances are not
   * restarted. A placement whose device does not report it is placed again after the usual
   * grace; a device that stays silent is suspected and failed over like any other.
   */
  public void restore(DesiredSnapshot s) {
    long now = clock.millis();
    long wall = clock.wallMillis();
    s.services().forEach(desired::apply);
    s.epochs().forEach(desired::observeEpoch);
    s.preferred().forEach(desired::prefer);
    for (DesiredSnapshot.Exclusion x : s.exclusions()) {
      if (x.untilWallMillis() > wall) {
        desired.exclude(x.service(), x.deviceId(), now + (x.untilWallMillis() - wall));
      }
    }
    for (DesiredSnapshot.DeviceRecord d : s.devices()) {
      registry.expect(d.id(), d.layer(), d.deviceClass(), d.labels(), clock.nanos());
    }
    for (DesiredSnapshot.PlacementRecord p : s.placements()) {
      if (desired.spec(p.service()) != null) {
        String version = p.version() != null ? p.version() : desired.spec(p.service()).version();
        reconciler.adopt(Placement.restored(p.service(), p.deviceId(), p.epoch(), now, version));
      }
    }
    s.rejectedPolicies().forEach((scope, versions) ->
        rejectedPolicies.computeIfAbsent(scope, k -> new java.util.TreeSet<>()).addAll(versions));
    desired.specs().forEach(spec -> dirtyServices.add(spec.name()));
    savedDesiredVersion = desired.version();
    savedPlacementVersion = reconciler.version();
    LOG.info("resumed from saved state of {}: {} services, {} placements, {} exclusions", new java.util.Date(s.savedAtMillis()),
        s.services().size(), s.placements().size(), s.exclusions().size());
    emit(AdaptationEvent.Type.SERVICE_APPLIED, null, null, 0, null, "resumed " + s.services().size() + " services and "
        + s.placements().size() + " placements from durable state", Map.of());
  }

  private record TimedEvent(Object event, long atMillis) {}

  /** Inserts an event, and keeps it to replay into the next rule set. */
  private void event(Object e, long atMillis) {
    rules.insertEvent(e);
    replay.addLast(new TimedEvent(e, atMillis));
    while (!replay.isEmpty()) {
      TimedEvent first = replay.peekFirst();
      long age = atMillis - first.atMillis();
      long keep = first.event() instanceof Movement ? MOVEMENT_REPLAY_MS : REPLAY_MS;
      if (age > keep || replay.size() > REPLAY_MAX) {
        replay.removeFirst();
      } else {
        break;
      }
    }
  }

  /**
   * Swaps the live rule set, atomically between two decision cycles. Facts carry over from the
   * registry, desired state and placements; recent events (readings, latency reports,
   * movements) are replayed with their original times, so a sustained window in progress or
   * a damping hold survives the swap; state-changing actions are idempotent on that state and
   * alerts are not repeated.
   */
  public void swapRules(RuleSet next, Parameters nextParameters, String label) {
    long now = clock.millis();
    RuleHost fresh = new RuleHost(next, clock, firingBudget);
    fresh.put("params", nextParameters);
    for (Device d : registry.all()) {
      fresh.putDevice(d);
    }
    for (ServiceSpec spec : desired.specs()) {
      fresh.put("service:" + spec.name(), desired.fact(spec.name(), now));
    }
    instanceFacts.forEach((key, inst) -> fresh.put("instance:" + key, inst));
    for (TimedEvent e : replay) {
      if (e.event() instanceof Movement || now - e.atMillis() <= REPLAY_MS) {
        fresh.insertEvent(e.event());
      }
    }
    RuleHost old = rules;
    rules = fresh;
    parameters = nextParameters;
    policyLabel = label;
    registry.drainChanged();
    old.close();
    LOG.info("rules {} live ({} rules)", label, next.ruleNames().size());
  }

  /** The live rule set. */
  public RuleSet ruleSet() {
    return rules.rules();
  }

  /** The live policy, e.g. {@code global v3 + gw.gw-1 v1}. */
  public String policyLabel() {
    return policyLabel != null ? policyLabel : rules.rules().label();
  }

  /** Rule actions applied since start (storm detection). */
  public long actionsApplied() {
    return actionsApplied;
  }

  /** Records a policy version as rejected: it is never applied again, also after a restart. */
  public void markPolicyRejected(String scope, long version) {
    if (rejectedPolicies.computeIfAbsent(scope, k -> new java.util.TreeSet<>()).add(version)) {
      policyStateVersion++;
      persist();
    }
  }

  /** Whether a policy version was rejected before. */
  public boolean isPolicyRejected(String scope, long version) {
    java.util.TreeSet<Long> s = rejectedPolicies.get(scope);
    return s != null && s.contains(version);
  }

  /** Publishes an adaptation event for a policy outcome. */
  public void policyEvent(AdaptationEvent.Type type, String reason, Map<String, String> details) {
    emit(type, null, null, 0, null, reason, details);
  }

  /** The periodic status summary. */
  public GatewayStatus status() {
    return new GatewayStatus(gatewayId, clock.wallMillis(), startedAtWallMillis, deviceCounts(),
        desired.specs().size(), reconciler.placements().size(), policyLabel());
  }

  private Map<String, Integer> deviceCounts() {
    Map<String, Integer> m = new TreeMap<>();
    registry.countsByState().forEach((k, v) -> m.put(k.name(), v));
    return m;
  }

  private void emit(AdaptationEvent.Type type, String deviceId, String service, long epoch, String rule, String reason,
      Map<String, String> details) {
    AdaptationEvent e = new AdaptationEvent(gatewayId, eventSeq.incrementAndGet(), clock.wallMillis(), type, deviceId,
        service, epoch, rule, reason, details);
    recent.addLast(e);
    if (recent.size() > RECENT_EVENTS) {
      recent.removeFirst();
    }
    try {
      events.publish(e);
    } catch (RuntimeException ex) {
      LOG.warn("could not publish event {}: {}", type, ex.getMessage());
    }
  }

  private String nextRequestId() {
    return gatewayId + "-" + requestSeq.incrementAndGet();
  }

  public String gatewayId() {
    return gatewayId;
  }

  public DeviceRegistry registry() {
    return registry;
  }

  public List<Placement> placements() {
    return List.copyOf(reconciler.placements());
  }

  public List<AdaptationEvent> recentEvents() {
    return List.copyOf(recent);
  }

  public Parameters parameters() {
    return parameters;
  }

  /** Device id → placements, for the HTTP API and tests. */
  public Map<String, List<Placement>> placementsByDevice() {
    Map<String, List<Placement>> m = new LinkedHashMap<>();
    for (Placement p : reconciler.placements()) {
      m.computeIfAbsent(p.deviceId(), k -> new ArrayList<>()).add(p);
    }
    return m;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      rules.close();
    }
  }

  private record Failover(String deviceId, long decidedAtMillis) {}

  /** Builds an engine. */
  public static final class Builder {
    private String gatewayId;
    private Clock clock = Clock.system();
    private RuleSet rules;
    private Orchestrator orchestrator;
    private Executor decisionThread = Runnable::run;
    private EventSink events = e -> {};
    private GatewayMetrics metrics = GatewayMetrics.noop();
    private Parameters parameters = Parameters.defaults();
    private PhiAccrualDetector.Settings detector = PhiAccrualDetector.Settings.DEFAULT;
    private Reconciler.Settings reconcilerSettings = Reconciler.Settings.DEFAULT;
    private int firingBudget = RuleHost.DEFAULT_FIRING_BUDGET;
    private DesiredStore store = DesiredStore.none();

    public Builder gatewayId(String v) { this.gatewayId = v; return this; }
    public Builder clock(Clock v) { this.clock = v; return this; }
    public Builder rules(RuleSet v) { this.rules = v; return this; }
    public Builder orchestrator(Orchestrator v) { this.orchestrator = v; return this; }
    /** Where orchestrator replies are handed back to; defaults to the calling thread. */
    public Builder decisionThread(Executor v) { this.decisionThread = v; return this; }
    public Builder events(EventSink v) { this.events = v; return this; }
    public Builder metrics(GatewayMetrics v) { this.metrics = v; return this; }
    public Builder parameters(Parameters v) { this.parameters = v; return this; }
    public Builder detector(PhiAccrualDetector.Settings v) { this.detector = v; return this; }
    public Builder reconciler(Reconciler.Settings v) { this.reconcilerSettings = v; return this; }
    public Builder firingBudget(int v) { this.firingBudget = v; return this; }
    /** Where desired state and placements are saved; defaults to nowhere. */
    public Builder store(DesiredStore v) { this.store = v; return this; }

    public GatewayEngine build() {
      Objects.requireNonNull(gatewayId, "gatewayId");
      Objects.requireNonNull(rules, "rules");
      Objects.requireNonNull(orchestrator, "orchestrator");
      return new GatewayEngine(this);
    }
  }
}
