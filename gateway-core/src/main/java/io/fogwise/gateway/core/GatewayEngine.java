package io.fogwise.gateway.core;

import io.fogwise.gateway.core.devices.DeviceRegistry;
import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.gateway.core.health.HealthSnapshot;
import io.fogwise.gateway.core.health.Problems;
import io.fogwise.gateway.core.metrics.GatewayMetrics;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.gateway.core.reconcile.Reconciler;
import io.fogwise.gateway.core.reconcile.Step;
import io.fogwise.gateway.core.store.DesiredSnapshot;
import io.fogwise.gateway.core.store.DesiredStore;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.Clock;
import io.fogwise.rules.Action;
import io.fogwise.rules.host.RuleHost;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.Instance;
import io.fogwise.rules.model.LatencyReading;
import io.fogwise.rules.model.Movement;
import io.fogwise.rules.model.Parameters;
import io.fogwise.rules.model.Reading;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's decision core: registry, rules and reconciler on one thread and one injected
 * clock. Inbound messages update the registry; each {@link #tick()} turns time into
 * suspicion, lets the rules decide ({@link ActionApplier}), reconciles, saves desired state
 * ({@link DurableState}) and hands the steps to the orchestrator ({@link StepExecutor},
 * {@link MigrationSaga}). Free of Vert.x, NATS and Micrometer, so the gateway, tests and the
 * scenario kit run this same class. Every method must be called on the decision thread;
 * orchestrator outcomes are brought back to it through the {@code decisionThread} executor.
 */
public final class GatewayEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayEngine.class);
  /** Rule rounds per cycle: actions change facts, which may let other rules decide in the same cycle. */
  private static final int MAX_ROUNDS = 5;
  /** Stall time is published to rules in steps, so a producing instance causes no rule work. */
  private static final long STALL_STEP_MS = 250;
  /** A rule set that keeps failing is reported at most this often. */
  private static final long RULE_FAILURE_REPORT_NANOS = 10_000_000_000L;
  /** Lost data is an event at most this often per service (a metric counts every message). */
  static final long MISSED_EVENT_MS = 10_000;

  private final EngineState s;
  private final Intents intents;
  private final MigrationSaga saga;
  private final StepExecutor steps;
  private final ServiceRequests requests;
  private final Reads reads;
  private final ActionApplier actions;
  private final DurableState durable;
  private final long startedAtWallMillis;
  private final Problems problems;
  private long ruleFailures;
  private String lastRuleFailure;
  private long lastRuleFailureNanos;
  private String policyLabel;
  private long syncedPlacementVersion = -1;
  private final OwnSilence ownSilence;
  private final Probation probation;
  private final ServiceHealth serviceHealth;
  /** Missing counts last reported, per subscriber and publishing service. */
  private final Map<String, Long> missingSeen = new HashMap<>();
  /** When a service's missed messages were last reported as an event (at most one per {@link #MISSED_EVENT_MS}). */
  private final Map<String, Long> missedReported = new HashMap<>();
  private volatile HealthSnapshot health;

  /** The restart count last reported per instance (service@device#epoch). */
  private final Map<String, Integer> restartsSeen = new java.util.HashMap<>();

  private GatewayEngine(Builder b) {
    DeviceRegistry registry = new DeviceRegistry(b.clock, b.detector);
    Step.Strategy moves = b.orchestrator.can(Orchestrator.Capability.HANDOVER) ? Step.Strategy.HANDOVER
        : b.orchestrator.can(Orchestrator.Capability.RELOCATE) ? Step.Strategy.RELOCATE : Step.Strategy.START_THEN_STOP;
    this.s = new EngineState(b.gatewayId, b.clock, registry, new Reconciler(b.reconcilerSettings, moves), b.metrics,
        new EventLog(b.gatewayId, b.clock, b.events), new RuleSession(b.rules, b.clock, b.firingBudget, b.parameters),
        b.observer);
    this.intents = new Intents(s, b.orchestrator, b.decisionThread);
    this.saga = new MigrationSaga(s, intents);
    this.steps = new StepExecutor(s, intents, saga);
    this.reads = new Reads(s);
    this.requests = new ServiceRequests(s, reads);
    this.actions = new ActionApplier(s, requests, intents);
    this.durable = new DurableState(s, b.store);
    this.startedAtWallMillis = b.clock.wallMillis();
    this.problems = b.problems;
    this.ownSilence = new OwnSilence(s);
    this.probation = new Probation(s);
    this.serviceHealth = new ServiceHealth(s);
    s.metrics.deviceGauges(this::deviceCounts);
    publishHealth();
  }

  /** A builder; the gateway id, clock, rule set and orchestrator are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Takes in a heartbeat that arrived at monotonic {@code arrivalNanos}. */
  public void onHeartbeat(Heartbeat hb, long arrivalNanos) {
    s.metrics.heartbeat();
    DeviceRegistry.Observation obs = s.registry.onHeartbeat(hb, arrivalNanos);
    long now = s.clock.millis();
    switch (obs) {
      case JOINED -> {
        LOG.info("device {} joined ({} {}, labels {})", hb.deviceId(), hb.layer(), hb.deviceClass(), hb.labels());
        s.emit(AdaptationEvent.Type.DEVICE_JOINED, hb.deviceId(), null, 0, null,
            "device " + hb.deviceId() + " joined as " + hb.layer(),
            Map.of("labels", hb.labels().toString(), "class", hb.deviceClass()));
      }
      case RETURNED -> {
        probation.returned(hb.deviceId(), now);
        LOG.info("device {} returned after being declared lost", hb.deviceId());
        s.emit(AdaptationEvent.Type.DEVICE_RETURNED, hb.deviceId(), null, 0, null,
            "device " + hb.deviceId() + " is heartbeating again; its stale instances will be fenced", Map.of());
      }
      case ALIVE -> { }
    }
    reportHeartbeatTiming(hb, now);
    if (!s.closed) {
      s.reconciler.fence(hb.deviceId(), s.registry, s.desired, now).forEach(steps::execute);
    }
    noteRestarts(hb);
    for (Placement p : s.reconciler.observe(hb.deviceId(), hb.instances(), now)) {
      s.metrics.reconcileAction("confirmed");
      EngineState.Failover fo = s.failedOver.remove(p.service());
      if (fo != null) {
        s.metrics.recovered(now - fo.decidedAtMillis());
        s.rules.event(new Movement(p.service(), fo.deviceId(), p.deviceId(), Movement.Kind.FAILOVER, now), now);
      }
      s.emit(AdaptationEvent.Type.INSTANCE_STARTED, p.deviceId(), p.service(), p.epoch(), null,
          "instance of " + p.service() + " epoch " + p.epoch() + " running on " + p.deviceId(),
          fo == null ? Map.of() : Map.of("replaces", fo.deviceId(),
              "recoveryMs", Long.toString(now - fo.decidedAtMillis())));
      saga.confirmed(p);
    }
  }

  /**
   * An INSTANCE_RESTARTED event, with the device's reason (a container's exit code and last
   * output), each time a device reports that it restarted an instance after a crash: a service
   * that keeps failing on its device shows in the events, not only in the device's log.
   */
  private void noteRestarts(Heartbeat hb) {
    for (io.fogwise.protocol.InstanceReport r : hb.instances()) {
      String key = r.service() + "@" + hb.deviceId() + "#" + r.epoch();
      Integer before = restartsSeen.put(key, r.restarts());
      if (before != null && r.restarts() > before) {
        s.emit(AdaptationEvent.Type.INSTANCE_RESTARTED, hb.deviceId(), r.service(), r.epoch(), null,
            r.service() + " epoch " + r.epoch() + " was restarted by " + hb.deviceId() + " after a crash ("
                + r.restarts() + " so far)" + (r.reason() == null ? "" : ": " + r.reason()),
            Map.of("restarts", Integer.toString(r.restarts())));
      }
    }
    if (restartsSeen.size() > 4 * Math.max(64, hb.instances().size() * s.registry.size())) {
      restartsSeen.clear(); // forgotten instances; the next report of each starts afresh
    }
  }

  /**
   * Every {@code history.heartbeatTimingMs} per device, the arrival intervals of its heartbeats as
   * a {@code HEARTBEAT_TIMING} event: what the cloud miner learns detection thresholds from.
   */
  private void reportHeartbeatTiming(Heartbeat hb, long now) {
    long every = (long) s.rules.parameters().number("history.heartbeatTimingMs", hb.deviceClass());
    if (every <= 0) {
      return;
    }
    List<Long> intervals = s.registry.takeHeartbeatTiming(hb.deviceId(), now, every);
    if (!intervals.isEmpty()) {
      StringBuilder csv = new StringBuilder();
      for (Long i : intervals) {
        csv.append(csv.length() == 0 ? "" : ",").append(i);
      }
      s.emit(AdaptationEvent.Type.HEARTBEAT_TIMING, hb.deviceId(), null, 0, null,
          intervals.size() + " heartbeat intervals of " + hb.deviceId(),
          Map.of("class", hb.deviceClass(), "intervalsMs", csv.toString()));
    }
  }

  /** Takes in a telemetry reading. */
  public void onTelemetry(Telemetry t) {
    if (s.registry.onTelemetry(t)) {
      long now = s.clock.millis();
      s.rules.event(new Reading(t.deviceId(), now, t.temperatureC(), t.batteryPct(), t.cpuLoad(),
          DeviceRegistry.memoryPct(t)), now);
    }
  }

  /**
   * Takes in a subscriber's report: one latency reading per publishing service it heard, and the
   * message numbers it never received (core NATS is at-most-once: what a hub restart drops is
   * counted here, as {@code fogwise_messages_missed} and a MESSAGES_MISSED event).
   */
  public void onSubscriberStats(SubscriberStats st) {
    for (SubscriberStats.PublisherStats p : st.publishers()) {
      if (p.received() > 0) {
        onLatency(p.service(), st.subscriberId(), p.latencyP50Micros(), p.latencyP99Micros());
      }
      missed(st.subscriberId(), st.service(), p);
    }
  }

  private void missed(String subscriberId, String subscriberService, SubscriberStats.PublisherStats p) {
    String key = subscriberId + "|" + subscriberService + "|" + p.service();
    Long before = missingSeen.put(key, p.missing());
    // a lower count: the subscriber restarted, its count starts again
    long more = before == null || p.missing() < before ? p.missing() : p.missing() - before;
    if (before == null || more <= 0) {
      return; // the first report is a baseline: what was missed before this gateway listened is not news
    }
    s.metrics.messagesMissed(p.service(), more);
    long now = s.clock.millis();
    Long last = missedReported.get(p.service());
    if (last == null || now - last >= MISSED_EVENT_MS) {
      missedReported.put(p.service(), now);
      s.emit(AdaptationEvent.Type.MESSAGES_MISSED, subscriberId, p.service(), p.epoch(), null, subscriberService
          + " on " + subscriberId + " never received " + more + " more messages of " + p.service() + " (epoch "
          + p.epoch() + ", " + p.missing() + " in all): core NATS drops what is in flight when the hub or a link"
          + " fails", Map.of("missing", Long.toString(p.missing()), "more", Long.toString(more),
              "subscriber", subscriberService));
    }
  }

  /** Takes in one latency reading of a declared service, as a subscriber measured it. */
  public void onLatency(String service, String subscriberId, long p50Micros, long p99Micros) {
    if (s.desired.spec(service) != null) {
      long now = s.clock.millis();
      s.rules.event(new LatencyReading(service, subscriberId, now, p50Micros, p99Micros), now);
    }
  }

  /** One decision cycle at the clock's now (tests and the scenario kit; the gateway uses {@link #tick(long)}). */
  public void tick() {
    tick(s.clock.nanos());
  }

  /**
   * One decision cycle requested at monotonic {@code requestedAtNanos}. Silence is judged at
   * that moment, not when the cycle runs: every heartbeat stamped before it has been taken in
   * (the decision thread works in order), so a queue in front of this thread never counts as
   * device silence. See {@link DecisionTicker}.
   */
  public void tick(long requestedAtNanos) {
    if (s.closed) {
      return;
    }
    long start = System.nanoTime();
    OwnSilence.Verdict v = ownSilence.beforeTick(requestedAtNanos);
    long now = v.referenceNanos() / 1_000_000L;
    DeviceRegistry.Silence silence = s.registry.survey(v.referenceNanos(),
        s.rules.parameters().number("detect.massSilencePhi"));
    if (v.publish() && ownSilence.mayDeclare(silence, v.referenceNanos())) {
      s.registry.publishSuspicion();
    }
    s.dirtyServices.addAll(s.desired.expireExclusions(now));
    probation.check(now);
    s.quarantines.entrySet().removeIf(q -> {
      if (q.getValue() <= now) {
        s.registry.setQuarantined(q.getKey(), false);
        s.emit(AdaptationEvent.Type.DEVICE_RELEASED, q.getKey(), null, 0, null, "quarantine of " + q.getKey()
            + " expired", Map.of());
        return true;
      }
      return false;
    });
    saga.expire(now);
    int firings = 0;
    try {
      for (int round = 0; round < MAX_ROUNDS; round++) {
        syncFacts(now);
        RuleHost.Evaluation eval = s.rules.evaluate();
        firings += eval.fired();
        if (eval.budgetExceeded()) {
          ruleFailure("rule set " + s.rules.rules().label() + " exceeded its firing budget in one cycle (a rule loops)");
        }
        if (eval.wallTimeExceeded() || eval.allocationExceeded() || eval.errorThrown()) {
          ruleFailure("rule set " + s.rules.rules().label() + ": " + eval.failure());
        }
        if (eval.actions().isEmpty()) {
          break;
        }
        for (Action a : eval.actions()) {
          s.observer.actionDecided(a);
          actions.apply(a);
        }
      }
    } catch (Throwable e) {
      // nothing a rule throws (an Error too) may stop the mechanism: reconciling goes on, the failure is reported
      ruleFailure("rule set " + s.rules.rules().label() + " failed: " + rootCause(e));
    }
    if (!v.linkDown()) { // with the link down nothing decided could be saved or carried out
      List<Step> planned = s.reconciler.reconcile(s.desired, s.registry, now);
      durable.persist(); // write-ahead: a decision is durable before its commands go out
      planned.forEach(steps::execute);
      syncFacts(now);
      serviceHealth.check(now);
    }
    s.metrics.cycle(System.nanoTime() - start, firings);
    publishHealth();
  }

  /**
   * The gateway itself could not run from {@code fromNanos} to {@code toNanos} (GC, SIGSTOP, an
   * overloaded host; its tick timer saw the gap): not its devices' silence.
   */
  public void paused(long fromNanos, long toNanos) {
    if (!s.closed) {
      ownSilence.paused(fromNanos, toNanos);
    }
  }

  /**
   * The gateway has been behind its inbound messages since {@code sinceNanos} (still at
   * {@code nowNanos}; {@code pending} of them received but not taken in): not its devices'
   * silence. Reported on every tick while it lasts and once when it clears.
   */
  public void behind(long sinceNanos, long nowNanos, long pending) {
    if (!s.closed) {
      ownSilence.behind(sinceNanos, nowNanos, pending);
    }
  }

  /** The gateway's NATS connection went down at monotonic {@code atNanos}: detection is held. */
  public void linkDown(long atNanos) {
    if (!s.closed) {
      ownSilence.linkDown(atNanos);
      publishHealth();
    }
  }

  /** The gateway's NATS connection is back at monotonic {@code atNanos}: detection resumes after settling. */
  public void linkUp(long atNanos) {
    if (!s.closed) {
      ownSilence.linkUp(atNanos);
      publishHealth();
    }
  }

  /** The health the decision thread last published; safe to read from any thread, never waits. */
  public HealthSnapshot health() {
    return health;
  }

  /** Services short of running instances for longer than {@code service.underReplicatedMs}. */
  public List<String> degradedServices() {
    return serviceHealth.degraded();
  }

  /** Every declared service with where it runs, whether it is ready and why not, by name. */
  public List<io.fogwise.protocol.ServiceState> serviceStates() {
    return reads.services(null);
  }

  private void publishHealth() {
    java.util.Set<String> degraded = new java.util.TreeSet<>(serviceHealth.degraded());
    // a failing service at once: waiting for service.underReplicatedMs would not make it any better
    degraded.addAll(reads.troubled(List.of()));
    health = new HealthSnapshot(status(), s.clock.nanos(), List.copyOf(degraded), ownSilence.held());
  }

  private void ruleFailure(String why) {
    ruleFailures++;
    lastRuleFailure = why;
    s.observer.ruleFailed(why);
    long nowNanos = System.nanoTime();
    if (nowNanos - lastRuleFailureNanos > RULE_FAILURE_REPORT_NANOS) {
      lastRuleFailureNanos = nowNanos;
      LOG.warn("{} ({} failures so far)", why, ruleFailures);
      s.emit(AdaptationEvent.Type.ALERT, null, null, 0, null, why, Map.of("failures", Long.toString(ruleFailures)));
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

  /** Brings the rule facts up to date with the registry, placements and desired state. */
  private void syncFacts(long now) {
    for (Device d : s.registry.drainChanged()) {
      s.rules.putDevice(d);
    }
    Map<String, Instance> current = new HashMap<>();
    Map<String, Integer> perDevice = new HashMap<>();
    for (Placement p : s.reconciler.placements()) {
      Instance.InstanceState st = p.state() == Placement.State.RUNNING
          ? Instance.InstanceState.RUNNING : Instance.InstanceState.STARTING;
      long stalled = p.stalledMillis(now) / STALL_STEP_MS * STALL_STEP_MS;
      current.put(p.key(), new Instance(p.service(), p.deviceId(), p.epoch(), st, stalled, p.version()));
      perDevice.merge(p.deviceId(), 1, Integer::sum);
    }
    s.rules.syncInstances(current);
    if (s.reconciler.version() != syncedPlacementVersion) {
      syncedPlacementVersion = s.reconciler.version();
      for (Device d : s.registry.all()) {
        s.registry.setInstanceCount(d.getId(), perDevice.getOrDefault(d.getId(), 0));
      }
      for (Device d : s.registry.drainChanged()) {
        s.rules.putDevice(d);
      }
    }
    for (String name : s.dirtyServices) {
      s.rules.putService(name, s.desired.fact(name, now));
    }
    s.dirtyServices.clear();
  }

  /** Handles an operator's service request (reads too: DESCRIBE, DEVICES, EVENTS, STATUS). */
  public ServiceResponse handle(ServiceRequest req) {
    switch (req.op()) {
      case DESCRIBE -> {
        if (req.name() != null && s.desired.spec(req.name()) == null) {
          return ServiceResponse.error("name", "no service named '" + req.name() + "'");
        }
        return ServiceResponse.states(reads.services(req.name()));
      }
      case DEVICES -> {
        List<io.fogwise.protocol.DeviceSummary> ds = reads.devices(req.name());
        return req.name() != null && ds.isEmpty()
            ? ServiceResponse.error("name", "no device named '" + req.name() + "' has reported to gateway " + s.gatewayId)
            : ServiceResponse.devices(ds);
      }
      case EVENTS -> {
        return reads.events(req.name());
      }
      case STATUS -> {
        return ServiceResponse.status(status());
      }
      default -> { }
    }
    ServiceResponse r = requests.handle(req);
    durable.persist();
    return r;
  }

  /** Sets a rule parameter by hand (an operator, or a scenario), as a rule's {@code setParameter} would. */
  public void setParameter(String key, String value, String reason) {
    actions.setParameter(new Action.SetParameter(key, value, reason, null));
  }

  /** The durable part of this gateway's state. */
  public DesiredSnapshot snapshot() {
    return durable.snapshot();
  }

  /** Resumes from a saved snapshot; see {@link DurableState#restore}. */
  public void restore(DesiredSnapshot snapshot) {
    durable.restore(snapshot);
  }

  /**
   * Swaps the live rule set, atomically between two decision cycles. Facts carry over from the
   * registry, desired state and placements; recent events (readings, latency reports,
   * movements) are replayed with their original times, so a sustained window in progress or
   * a damping hold survives the swap; state-changing actions are idempotent on that state and
   * alerts are not repeated.
   */
  public void swapRules(RuleSet next, Parameters nextParameters, String label) {
    s.rules.swap(next, nextParameters, s.registry.all());
    policyLabel = label;
    s.registry.drainChanged();
    LOG.info("rules {} live ({} rules)", label, next.ruleNames().size());
  }

  /** The live rule set. */
  public RuleSet ruleSet() {
    return s.rules.rules();
  }

  /** The live policy, e.g. {@code global v3 + gw.gw-1 v1}. */
  public String policyLabel() {
    return policyLabel != null ? policyLabel : s.rules.rules().label();
  }

  /** Rule actions applied since start (storm detection). */
  public long actionsApplied() {
    return actions.actionsApplied();
  }

  /** Records a policy version as rejected: it is never applied again, also after a restart. */
  public void markPolicyRejected(String scope, long version) {
    durable.markPolicyRejected(scope, version);
  }

  /** Whether a policy version was rejected before. */
  public boolean isPolicyRejected(String scope, long version) {
    return durable.isPolicyRejected(scope, version);
  }

  /** Records that {@code scope} runs {@code version} now (0: none): nothing lower is applied again. */
  public void markPolicyApplied(String scope, long version) {
    durable.markPolicyApplied(scope, version);
  }

  /** The policy version this gateway runs for {@code scope}, 0 for none. */
  public long appliedPolicyVersion(String scope) {
    return durable.appliedPolicyVersion(scope);
  }

  /** Publishes an adaptation event for a policy outcome. */
  public void policyEvent(AdaptationEvent.Type type, String reason, Map<String, String> details) {
    s.emit(type, null, null, 0, null, reason, details);
  }

  /** The periodic status summary. */
  public GatewayStatus status() {
    return new GatewayStatus(s.gatewayId, s.clock.wallMillis(), startedAtWallMillis, deviceCounts(),
        s.desired.specs().size(), s.reconciler.placements().size(), policyLabel(), durable.appliedPolicies(),
        allProblems());
  }

  /** The problems kept by {@link Problems}, then services that cannot be placed or keep failing. */
  private List<String> allProblems() {
    List<String> service = reads == null || serviceHealth == null ? List.of()
        : reads.serviceProblems(serviceHealth.degraded());
    if (service.isEmpty()) {
      return problems.messages();
    }
    List<String> all = new ArrayList<>(problems.messages());
    all.addAll(service);
    return all;
  }

  private Map<String, Integer> deviceCounts() {
    Map<String, Integer> m = new TreeMap<>();
    s.registry.countsByState().forEach((k, v) -> m.put(k.name(), v));
    return m;
  }

  public String gatewayId() {
    return s.gatewayId;
  }

  public DeviceRegistry registry() {
    return s.registry;
  }

  /** The declared spec of {@code service}, if it is declared. */
  public java.util.Optional<io.fogwise.protocol.ServiceSpec> spec(String service) {
    return java.util.Optional.ofNullable(s.desired.spec(service));
  }

  public List<Placement> placements() {
    return List.copyOf(s.reconciler.placements());
  }

  public List<AdaptationEvent> recentEvents() {
    return s.events.recent();
  }

  public Parameters parameters() {
    return s.rules.parameters();
  }

  /** Device id → placements, for the HTTP API and tests. */
  public Map<String, List<Placement>> placementsByDevice() {
    Map<String, List<Placement>> m = new LinkedHashMap<>();
    for (Placement p : s.reconciler.placements()) {
      m.computeIfAbsent(p.deviceId(), k -> new ArrayList<>()).add(p);
    }
    return m;
  }

  @Override
  public void close() {
    if (!s.closed) {
      s.closed = true;
      s.rules.close();
    }
  }

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
    private EngineObserver observer = EngineObserver.none();
    private Problems problems = new Problems();

    public Builder gatewayId(String v) { this.gatewayId = v; return this; }
    public Builder clock(Clock v) { this.clock = v; return this; }
    public Builder rules(RuleSet v) { this.rules = v; return this; }
    public Builder orchestrator(Orchestrator v) { this.orchestrator = v; return this; }
    /** Where orchestrator outcomes are handed back to; defaults to the calling thread. */
    public Builder decisionThread(Executor v) { this.decisionThread = v; return this; }
    public Builder events(EventSink v) { this.events = v; return this; }
    public Builder metrics(GatewayMetrics v) { this.metrics = v; return this; }
    public Builder parameters(Parameters v) { this.parameters = v; return this; }
    public Builder detector(PhiAccrualDetector.Settings v) { this.detector = v; return this; }
    public Builder reconciler(Reconciler.Settings v) { this.reconcilerSettings = v; return this; }
    public Builder firingBudget(int v) { this.firingBudget = v; return this; }
    /** Where desired state and placements are saved; defaults to nowhere. */
    public Builder store(DesiredStore v) { this.store = v; return this; }
    /** Who sees rule actions and rule failures as they happen (the scenario kit); defaults to nobody. */
    public Builder observer(EngineObserver v) { this.observer = v; return this; }
    /** Where problems that do not stop the gateway are kept (shown in its status); defaults to its own. */
    public Builder problems(Problems v) { this.problems = v; return this; }

    public GatewayEngine build() {
      Objects.requireNonNull(gatewayId, "gatewayId");
      Objects.requireNonNull(rules, "rules");
      Objects.requireNonNull(orchestrator, "orchestrator");
      Objects.requireNonNull(clock, "clock");
      return new GatewayEngine(this);
    }
  }
}
