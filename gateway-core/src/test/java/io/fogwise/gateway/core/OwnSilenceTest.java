package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.DeviceState;
import io.fogwise.rules.model.Parameters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's own silence (its link down, its own pause, a mass silence) is not its devices'
 * silence; exclusions cannot strand a service; a service short of instances is reported. One
 * manual clock, simulated devices heartbeating every 200 ms, a tick every 25 ms, no sleeps.
 */
class OwnSilenceTest {
  private static RuleSet packs;

  private final ManualClock clock = new ManualClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final InMemoryOrchestrator fleet = InMemoryOrchestrator.create(scheduler);
  private final List<AdaptationEvent> events = new ArrayList<>();
  private final Map<String, Sim> devices = new LinkedHashMap<>();
  private GatewayEngine engine;
  /** The gateway hears nothing (its link is down, or it is paused). */
  private boolean deaf;

  private record Sim(String id, Layer layer, Map<String, String> labels, boolean[] alive) {}

  @BeforeAll
  static void compile() throws Exception {
    packs = RuleSet.compile("global v0", RuleSet.builtInPacks());
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  private void start(Map<String, String> parameters) {
    engine = GatewayEngine.builder().gatewayId("gw").clock(clock).rules(packs).orchestrator(fleet)
        .parameters(new Parameters(parameters)).events(events::add).build();
  }

  private void device(String id, Layer layer, Map<String, String> labels) {
    devices.put(id, new Sim(id, layer, labels, new boolean[] {true}));
  }

  private void kill(String id) {
    devices.get(id).alive()[0] = false;
    fleet.device(id).crash();
  }

  private void revive(String id) {
    devices.get(id).alive()[0] = true;
    fleet.device(id).reachable(true);
  }

  private void beat(Sim d) {
    engine.onHeartbeat(new Heartbeat(d.id(), "gw", 0, clock.wallMillis(), 200, d.layer(), "default", d.labels(),
        fleet.reports(d.id())), clock.nanos());
  }

  /** Runs the world for {@code millis}: heartbeats every 200 ms from live devices (if heard), a tick every 25 ms. */
  private void run(long millis) {
    for (long t = 0; t < millis; t += 25) {
      if (clock.millis() % 200 == 0 && !deaf) {
        devices.values().stream().filter(d -> d.alive()[0]).forEach(this::beat);
      }
      engine.tick(clock.nanos());
      scheduler.runDue();
      scheduler.advanceMillis(25);
    }
  }

  private void apply(ServiceSpec spec) {
    assertTrue(engine.handle(ServiceRequest.apply(spec)).ok());
  }

  private List<AdaptationEvent> of(AdaptationEvent.Type type) {
    return events.stream().filter(e -> e.type() == type).toList();
  }

  private Placement placement(String service) {
    List<Placement> ps = engine.placements().stream().filter(p -> p.service().equals(service)).toList();
    assertEquals(1, ps.size(), ps.toString());
    return ps.get(0);
  }

  private static final ServiceSpec PUBLISHER = ServiceSpec.of("publisher", "publisher",
      new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")), Map.of("rateHz", "100"));
  private static final ServiceSpec SUB_CLOUD = ServiceSpec.of("sub-cloud", "subscriber",
      ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());

  /** The example topology: cloud-1, edge-1 and edge-3 (pub=true), edge-2 (sub=true), a publisher and a cloud subscriber. */
  private void exampleFleet(Map<String, String> parameters) {
    start(parameters);
    device("cloud-1", Layer.CLOUD, Map.of());
    device("edge-1", Layer.EDGE, Map.of("pub", "true"));
    device("edge-2", Layer.EDGE, Map.of("sub", "true"));
    device("edge-3", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    apply(SUB_CLOUD);
    run(2000);
    assertEquals(Placement.State.RUNNING, placement("publisher").state());
    assertEquals(Placement.State.RUNNING, placement("sub-cloud").state());
  }

  private static final Set<AdaptationEvent.Type> DISRUPTIVE = Set.of(AdaptationEvent.Type.DEVICE_LOST,
      AdaptationEvent.Type.DEVICE_EXCLUDED, AdaptationEvent.Type.INSTANCE_STOPPED,
      AdaptationEvent.Type.INSTANCE_STARTING, AdaptationEvent.Type.INSTANCE_ABANDONED,
      AdaptationEvent.Type.INSTANCE_START_FAILED);

  @Test
  void aLinkOutageIsNotDeviceSilenceAndNothingIsFailedOver() {
    exampleFleet(Map.of());
    Placement pub = placement("publisher");
    Placement sub = placement("sub-cloud");
    int before = events.size();

    deaf = true;
    engine.linkDown(clock.nanos());
    run(4000); // the hub restarts: nothing is heard for 4 s
    assertTrue(engine.health().detectionHeld() != null, "health says detection is held");
    deaf = false;
    engine.linkUp(clock.nanos());
    run(600); // agents reconnect a little after the gateway
    run(4000);

    List<AdaptationEvent> after = events.subList(before, events.size());
    assertTrue(after.stream().noneMatch(e -> DISRUPTIVE.contains(e.type())), after.toString());
    assertEquals(pub.deviceId() + "#" + pub.epoch(), placement("publisher").deviceId() + "#" + placement("publisher").epoch());
    assertEquals(sub.epoch(), placement("sub-cloud").epoch());
    assertTrue(after.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.DETECTION_SUSPENDED
        && e.reason().contains("NATS connection is down")), after.toString());
    assertTrue(after.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.DETECTION_RESUMED), after.toString());
    assertNull(engine.health().detectionHeld());
    // the outage is not learned as a heartbeat interval
    assertTrue(engine.registry().meanIntervalMillis("edge-1") < 210, "mean " + engine.registry().meanIntervalMillis("edge-1"));
  }

  @Test
  void aDeviceThatDiedDuringTheOutageIsDeclaredLostSoonAfterSettling() {
    exampleFleet(Map.of("detect.settleMs", "2000"));
    String host = placement("publisher").deviceId();
    deaf = true;
    engine.linkDown(clock.nanos());
    kill(host);
    run(3000);
    deaf = false;
    long upAt = clock.millis();
    engine.linkUp(clock.nanos());
    run(4000);
    List<AdaptationEvent> lost = of(AdaptationEvent.Type.DEVICE_LOST);
    assertEquals(1, lost.size(), events.toString());
    assertEquals(host, lost.get(0).deviceId());
    long lostAfterUp = lost.get(0).atMillis() - clock.wallMillis() + clock.millis() - upAt;
    assertTrue(lostAfterUp >= 2000 && lostAfterUp <= 3000, "declared " + lostAfterUp + " ms after the link came back");
    assertFalse(placement("publisher").deviceId().equals(host));
    assertEquals(2, placement("publisher").epoch());
  }

  @Test
  void theGatewaysOwnPauseIsDiscountedAndNotLearned() {
    exampleFleet(Map.of());
    int before = events.size();
    long pausedAt = clock.nanos();
    clock.advanceMillis(1500); // SIGSTOP: nothing ran, not even the tick timer
    devices.values().forEach(this::beat); // what the socket buffered, stamped on resume
    engine.paused(pausedAt + 25_000_000L, clock.nanos());
    run(3000);
    List<AdaptationEvent> after = events.subList(before, events.size());
    assertTrue(after.stream().noneMatch(e -> DISRUPTIVE.contains(e.type())), after.toString());
    assertTrue(after.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.DETECTION_SUSPENDED
        && e.reason().contains("paused for")), after.toString());
    assertTrue(engine.registry().meanIntervalMillis("edge-1") < 210, "the pause was learned: mean "
        + engine.registry().meanIntervalMillis("edge-1"));
  }

  @Test
  void theTickerSeesTheProcessPauseAndJudgesSilenceWhenTheTickWasRequested() {
    exampleFleet(Map.of());
    List<Runnable> decisionQueue = new ArrayList<>();
    DecisionTicker ticker = DecisionTicker.start(scheduler, clock, Duration.ofMillis(25), decisionQueue::add, engine,
        () -> { });
    scheduler.advanceMillis(25);
    assertEquals(1, decisionQueue.size());
    scheduler.advanceMillis(100); // the decision thread is busy: requests coalesce
    assertEquals(1, decisionQueue.size());
    assertTrue(ticker.coalesced() >= 3);
    decisionQueue.remove(0).run();

    int before = events.size();
    clock.advanceMillis(2000); // the whole process stops
    scheduler.runDue(); // the timer fires late
    devices.values().forEach(this::beat);
    decisionQueue.remove(0).run();
    assertTrue(events.subList(before, events.size()).stream().anyMatch(e -> e.type()
        == AdaptationEvent.Type.DETECTION_SUSPENDED && e.reason().contains("paused for")), events.toString());
    ticker.close();
    run(3000);
    assertTrue(of(AdaptationEvent.Type.DEVICE_LOST).isEmpty(), events.toString());
  }

  @Test
  void aBacklogOfHeartbeatsNotYetTakenInIsTheGatewaysOwnSilence() {
    exampleFleet(Map.of());
    java.util.concurrent.atomic.AtomicLong backlog = new java.util.concurrent.atomic.AtomicLong();
    List<Runnable> decisionQueue = new ArrayList<>();
    DecisionTicker ticker = DecisionTicker.start(scheduler, clock, Duration.ofMillis(25), decisionQueue::add, engine,
        () -> { }, backlog::get, () -> 1_000);
    int before = events.size();
    backlog.set(5_000);
    // 1.5 s in which heartbeats pile up in front of the gateway, received but not taken in
    for (int i = 0; i < 60; i++) {
      scheduler.advanceMillis(25);
      decisionQueue.forEach(Runnable::run);
      decisionQueue.clear();
    }
    assertTrue(engine.health().detectionHeld() != null, "held while behind");
    backlog.set(0);
    devices.values().forEach(this::beat); // the backlog is taken in
    for (int i = 0; i < 4; i++) {
      scheduler.advanceMillis(25);
      decisionQueue.forEach(Runnable::run);
      decisionQueue.clear();
    }
    ticker.close();
    run(3000);
    List<AdaptationEvent> after = events.subList(before, events.size());
    assertTrue(after.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.DETECTION_SUSPENDED
        && e.reason().contains("behind its inbound heartbeats (5000 received")), after.toString());
    assertEquals(1, after.stream().filter(e -> e.type() == AdaptationEvent.Type.DETECTION_SUSPENDED).count(),
        "one event for the whole backlog, not one per tick: " + after);
    assertTrue(after.stream().noneMatch(e -> DISRUPTIVE.contains(e.type())), after.toString());
    assertTrue(after.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.DETECTION_RESUMED), after.toString());
  }

  @Test
  void massSilenceIsHeldThenReleasedWhenTheDevicesAreHeardAgain() {
    exampleFleet(Map.of());
    device("edge-4", Layer.EDGE, Map.of());
    run(400);
    for (String id : List.of("edge-1", "edge-2", "edge-3")) {
      devices.get(id).alive()[0] = false; // a partition: they live, but are not heard
    }
    run(5000);
    assertTrue(of(AdaptationEvent.Type.DEVICE_LOST).isEmpty(), events.toString());
    AdaptationEvent held = of(AdaptationEvent.Type.DETECTION_SUSPENDED).get(0);
    assertTrue(held.reason().startsWith("3 of 5 alive devices went silent at once"), held.reason());
    assertEquals("3 of 5 alive devices went silent at once", engine.health().detectionHeld());
    for (String id : List.of("edge-1", "edge-2", "edge-3")) {
      devices.get(id).alive()[0] = true;
    }
    run(3000);
    assertTrue(of(AdaptationEvent.Type.DEVICE_LOST).isEmpty(), events.toString());
    assertTrue(of(AdaptationEvent.Type.DETECTION_RESUMED).get(0).reason().contains("heard again"));
    assertEquals(1, placement("publisher").epoch());
  }

  @Test
  void aRealMassDeathIsAlertedAndFailedOverAfterTheHold() {
    exampleFleet(Map.of("detect.massSilenceHoldMs", "4000"));
    device("edge-5", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    String host = placement("publisher").deviceId();
    List<String> dead = new ArrayList<>(List.of("cloud-1", "edge-2", host));
    dead.forEach(this::kill);
    long killedAt = clock.millis();
    run(3500);
    assertTrue(of(AdaptationEvent.Type.DEVICE_LOST).isEmpty(), "held: " + events);
    run(2500);
    AdaptationEvent alert = of(AdaptationEvent.Type.ALERT).stream().filter(e -> e.reason().contains("real failure"))
        .findFirst().orElseThrow(() -> new AssertionError(events.toString()));
    assertTrue(alert.reason().startsWith("3 of 5 alive devices have been silent"), alert.reason());
    assertEquals(3, of(AdaptationEvent.Type.DEVICE_LOST).size(), events.toString());
    assertTrue(clock.millis() - killedAt < 6500);
    assertFalse(dead.contains(placement("publisher").deviceId()));
  }

  @Test
  void aReturnedDeviceRegainsItsServicesAfterProbation() {
    exampleFleet(Map.of("failover.returnProbationMs", "5000"));
    String first = placement("publisher").deviceId();
    kill(first);
    run(2000);
    String second = placement("publisher").deviceId();
    assertFalse(second.equals(first));
    revive(first);
    run(1000);
    assertEquals(1, of(AdaptationEvent.Type.DEVICE_RETURNED).size());
    run(3000);
    assertTrue(of(AdaptationEvent.Type.EXCLUSION_LIFTED).isEmpty(), "still on probation");
    run(1500);
    AdaptationEvent lifted = of(AdaptationEvent.Type.EXCLUSION_LIFTED).get(0);
    assertEquals(first, lifted.deviceId());
    assertTrue(lifted.reason().contains("failover.returnProbationMs"), lifted.reason());
    kill(second);
    run(2000);
    assertEquals(first, placement("publisher").deviceId());
    assertEquals(3, placement("publisher").epoch());
  }

  @Test
  void theOnlyDeviceLeftIsUsedDespiteItsExclusion() {
    exampleFleet(Map.of()); // probation 30 s: far away
    String first = placement("publisher").deviceId();
    kill(first);
    run(2000);
    String second = placement("publisher").deviceId();
    revive(first);
    run(1000);
    long killedAt = clock.millis();
    kill(second);
    run(2000);
    Placement p = placement("publisher");
    assertEquals(first, p.deviceId(), events.toString());
    assertEquals(3, p.epoch());
    assertEquals(Placement.State.RUNNING, p.state());
    AdaptationEvent lifted = of(AdaptationEvent.Type.EXCLUSION_LIFTED).get(0);
    assertTrue(lifted.reason().contains("no other device can run publisher"), lifted.reason());
    assertTrue(lifted.atMillis() - clock.wallMillis() + clock.millis() - killedAt < 1500);
  }

  @Test
  void anOperatorsMoveOverridesAnAutomaticExclusionAndSaysSo() {
    exampleFleet(Map.of());
    String first = placement("publisher").deviceId();
    kill(first);
    run(2000);
    revive(first);
    run(1000);
    ServiceResponse r = engine.handle(new ServiceRequest(ServiceRequest.Op.MOVE, null, "publisher", null, first));
    assertTrue(r.ok(), r.toString());
    assertEquals("overrides the automatic exclusion of publisher from " + first, r.note());
    run(2000);
    assertEquals(first, placement("publisher").deviceId());
    assertTrue(of(AdaptationEvent.Type.EXCLUSION_LIFTED).get(0).reason().startsWith("the operator moved publisher"));
  }

  @Test
  void aServiceShortOfInstancesTooLongIsDegradedOnceAndRecovers() {
    start(Map.of());
    device("edge-1", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(SUB_CLOUD); // no CLOUD device
    run(4900);
    assertTrue(engine.degradedServices().isEmpty());
    run(200);
    assertEquals(List.of("sub-cloud"), engine.degradedServices());
    assertEquals(List.of("sub-cloud"), engine.health().degraded());
    run(5000);
    List<AdaptationEvent> alerts = of(AdaptationEvent.Type.ALERT);
    assertEquals(1, alerts.size(), "once per episode: " + alerts);
    assertEquals("sub-cloud", alerts.get(0).service());
    device("cloud-1", Layer.CLOUD, Map.of());
    run(1000);
    assertTrue(engine.health().degraded().isEmpty());
  }

  @Test
  void messagesASubscriberNeverReceivedAreReported() {
    start(Map.of());
    engine.onSubscriberStats(stats(3));
    assertTrue(of(AdaptationEvent.Type.MESSAGES_MISSED).isEmpty(), "the first report is a baseline");
    engine.onSubscriberStats(stats(40));
    AdaptationEvent e = of(AdaptationEvent.Type.MESSAGES_MISSED).get(0);
    assertEquals("37", e.details().get("more"));
    assertEquals("publisher", e.service());
  }

  private static SubscriberStats stats(long missing) {
    return new SubscriberStats("edge-2", "sub-edge", "fw.data.demo.readings", 1, 0, List.of(
        new SubscriberStats.PublisherStats("publisher", 1, 1000, 1, missing, 0, 0, 0, 100, 200, 300, 120.0)));
  }

  @Test
  void healthIsPublishedForOtherThreadsEveryTick() {
    start(Map.of());
    long before = engine.health().tickNanos();
    run(100);
    assertTrue(engine.health().tickNanos() > before);
    assertEquals(DeviceState.values().length, engine.health().status().devices().size());
  }
}
