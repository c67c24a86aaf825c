package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.orchestrator.CommandOrchestrator;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.DeviceState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The decision core on a manual clock with a simulated fleet: devices "run" what they were
 * told to, heartbeat every 200 ms unless killed, and the test advances time in 25 ms ticks.
 * No sleeps, no threads.
 */
class GatewayEngineTest {
  private static RuleSet packs;

  private final ManualClock clock = new ManualClock();
  private final List<AdaptationEvent> events = new ArrayList<>();
  private final FakeFleet fleet = new FakeFleet();
  private GatewayEngine engine;

  @BeforeAll
  static void compile() throws Exception {
    packs = RuleSet.compile("global v0", RuleSet.builtInPacks());
  }

  @BeforeEach
  void setUp() {
    engine = GatewayEngine.builder().gatewayId("gw").clock(clock).rules(packs).orchestrator(fleet)
        .events(events::add).build();
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  /** Runs the world for {@code millis}: heartbeats every 200 ms from live devices, a tick every 25 ms. */
  private void run(long millis) {
    for (long t = 0; t < millis; t += 25) {
      if (clock.millis() % 200 == 0) {
        fleet.devices.values().stream().filter(d -> d.alive).forEach(d -> engine.onHeartbeat(d.heartbeat(), clock.nanos()));
      }
      engine.tick();
      clock.advanceMillis(25);
    }
  }

  private void apply(ServiceSpec spec) {
    assertTrue(engine.handle(ServiceRequest.apply(spec)).ok());
  }

  private List<AdaptationEvent> eventsOf(AdaptationEvent.Type type) {
    return events.stream().filter(e -> e.type() == type).collect(Collectors.toList());
  }

  private String hostOf(String service) {
    List<Placement> ps = engine.placements().stream().filter(p -> p.service().equals(service)).toList();
    assertEquals(1, ps.size(), ps.toString());
    return ps.get(0).deviceId();
  }

  private static final ServiceSpec PUBLISHER = ServiceSpec.of("publisher", "publisher",
      new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")), Map.of("rateHz", "100"));

  @Test
  void aLostDevicesServiceIsRestartedElsewhereWithANewEpochWithinOneSecond() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("c1", Layer.CLOUD, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(500);
    String first = hostOf("publisher");
    assertTrue(first.startsWith("e"), "placed at the edge: " + first);
    assertEquals(1, eventsOf(AdaptationEvent.Type.INSTANCE_STARTED).size());

    long killedAtWall = clock.wallMillis();
    fleet.devices.get(first).alive = false;
    run(1500);

    List<AdaptationEvent> lost = eventsOf(AdaptationEvent.Type.DEVICE_LOST);
    assertEquals(1, lost.size(), events.toString());
    assertEquals(first, lost.get(0).deviceId());
    long detectMs = lost.get(0).atMillis() - killedAtWall;
    assertTrue(detectMs <= 1000, "detected " + detectMs + " ms after the kill");
    long startedAgain = events.stream().filter(e -> e.type() == AdaptationEvent.Type.INSTANCE_STARTING)
        .reduce((a, b) -> b).orElseThrow().atMillis();
    assertEquals(lost.get(0).atMillis(), startedAgain, "loss, exclusion and restart are decided in one cycle");
    String second = hostOf("publisher");
    assertFalse(second.equals(first));
    assertEquals("e", second.substring(0, 1), "still at the edge, not on the cloud device");
    Placement p = engine.placements().get(0);
    assertEquals(2, p.epoch());
    assertEquals(Placement.State.RUNNING, p.state());
    assertEquals(DeviceState.LOST, engine.registry().get(first).getState());
  }

  @Test
  void aReturningDeviceHasItsStaleInstanceFenced() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(400);
    String first = hostOf("publisher");
    fleet.devices.get(first).alive = false;
    run(1500);
    String second = hostOf("publisher");
    fleet.devices.get(first).alive = true;
    run(400);
    assertEquals(1, eventsOf(AdaptationEvent.Type.DEVICE_RETURNED).size());
    List<AdaptationEvent> fenced = eventsOf(AdaptationEvent.Type.INSTANCE_FENCED);
    assertEquals(1, fenced.size(), events.toString());
    assertEquals(first, fenced.get(0).deviceId());
    assertEquals(1, fenced.get(0).epoch());
    assertTrue(fleet.devices.get(first).running.isEmpty(), "stale instance stopped");
    assertEquals(second, hostOf("publisher"), "no move back");
  }

  @Test
  void anUnconfirmedStartIsGivenUpAndPlacedElsewhere() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    fleet.devices.get("e1").ignoresStarts = true;
    run(400);
    apply(PUBLISHER);
    run(6000);
    assertEquals(1, eventsOf(AdaptationEvent.Type.INSTANCE_START_FAILED).size(), events.toString());
    assertEquals("e2", hostOf("publisher"));
  }

  @Test
  void aRefusedStartAvoidsThatDevice() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    fleet.devices.get("e1").refusesStarts = true;
    run(400);
    apply(PUBLISHER);
    run(500);
    assertEquals("e2", hostOf("publisher"));
    assertEquals(1, eventsOf(AdaptationEvent.Type.INSTANCE_START_FAILED).size());
  }

  @Test
  void replicasGoToDistinctLeastLoadedDevicesAndScaleDown() {
    fleet.add("e1", Layer.EDGE, Map.of());
    fleet.add("e2", Layer.EDGE, Map.of());
    fleet.add("e3", Layer.EDGE, Map.of());
    run(400);
    apply(ServiceSpec.of("other", "subscriber", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    run(200);
    String busy = hostOf("other");
    apply(ServiceSpec.of("sub", "subscriber", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()).withReplicas(2));
    run(500);
    List<String> hosts = engine.placements().stream().filter(p -> p.service().equals("sub"))
        .map(Placement::deviceId).sorted().toList();
    assertEquals(2, hosts.size());
    assertFalse(hosts.contains(busy), "least-loaded devices chosen: " + hosts + " busy " + busy);
    apply(ServiceSpec.of("sub", "subscriber", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()).withReplicas(1));
    run(500);
    assertEquals(1, engine.placements().stream().filter(p -> p.service().equals("sub")).count());
    assertEquals(2, fleet.devices.values().stream().mapToLong(d -> d.running.size()).sum());
  }

  @Test
  void noEligibleDeviceMeansNoStartAndNoCrash() {
    fleet.add("c1", Layer.CLOUD, Map.of());
    run(400);
    apply(PUBLISHER);
    run(500);
    assertTrue(engine.placements().isEmpty());
    fleet.add("e9", Layer.EDGE, Map.of("pub", "true"));
    run(500);
    assertEquals("e9", hostOf("publisher"));
  }

  @Test
  void deletingAServiceStopsItsInstances() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(400);
    assertTrue(engine.handle(ServiceRequest.delete("publisher")).ok());
    run(400);
    assertTrue(engine.placements().isEmpty());
    assertTrue(fleet.devices.get("e1").running.isEmpty());
    assertFalse(engine.handle(ServiceRequest.delete("publisher")).ok(), "unknown service");
  }

  @Test
  void aPlannedMoveStartsTheNewInstanceHandsOverTheNumberingAndOnlyThenStopsTheOldOne() {
    fleet.add("c1", Layer.CLOUD, Map.of());
    fleet.add("e1", Layer.EDGE, Map.of());
    run(400);
    apply(ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of()));
    run(400);
    assertEquals("c1", hostOf("publisher"));
    fleet.commands.clear();
    assertTrue(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(400);
    long n = fleet.devices.get("c1").handedOverAt;
    assertEquals(List.of("e1:START:publisher#2", "c1:HANDOVER:publisher#1", "e1:ACTIVATE:publisher#2@" + n,
        "c1:STOP:publisher#1"), fleet.commands, "make-before-break, numbering handed over: " + events);
    assertEquals("e1", hostOf("publisher"));
    assertEquals(1, eventsOf(AdaptationEvent.Type.MIGRATION_COMPLETED).size());
    assertTrue(eventsOf(AdaptationEvent.Type.INSTANCE_STOPPED).isEmpty(), "the old instance was retired by the move");
  }

  @Test
  void aMoveToADeviceThatCannotHostTheServiceIsRefusedWithTheReason() {
    fleet.add("c1", Layer.CLOUD, Map.of());
    fleet.add("e1", Layer.EDGE, Map.of());
    run(400);
    apply(ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of()));
    run(400);
    var refused = engine.handle(ServiceRequest.moveToDevice("publisher", "e1"));
    assertFalse(refused.ok());
    assertEquals("toDevice", refused.field());
    assertTrue(refused.error().contains("toLayer"), refused.error());
    assertFalse(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.FOG)).ok(), "no FOG device");
    assertFalse(engine.handle(ServiceRequest.moveToDevice("publisher", "nope")).ok());
    assertEquals("c1", hostOf("publisher"));
  }

  @Test
  void aMoveWhoseNewInstanceCannotStartLeavesTheOldOneRunning() {
    fleet.add("c1", Layer.CLOUD, Map.of());
    fleet.add("e1", Layer.EDGE, Map.of());
    run(400);
    apply(ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of()));
    run(400);
    fleet.devices.get("e1").refusesStarts = true;
    fleet.commands.clear();
    assertTrue(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(200);
    assertEquals(1, eventsOf(AdaptationEvent.Type.MIGRATION_FAILED).size());
    assertTrue(fleet.commands.stream().noneMatch(c -> c.startsWith("c1:")), "the old instance was not touched: " + fleet.commands);
    assertTrue(fleet.devices.get("c1").running.containsKey("publisher"));
  }

  @Test
  void aServiceWhoseOutputStallsOnAHealthyDeviceIsMovedByRule() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(600);
    String first = hostOf("publisher");
    fleet.devices.get(first).stalled = true;
    run(3000);
    List<AdaptationEvent> excluded = eventsOf(AdaptationEvent.Type.DEVICE_EXCLUDED);
    assertEquals(1, excluded.size(), events.toString());
    assertEquals("Stalled instance is moved to another device", excluded.get(0).rule());
    assertTrue(eventsOf(AdaptationEvent.Type.DEVICE_LOST).isEmpty(), "the device itself is healthy");
    assertFalse(hostOf("publisher").equals(first));
    assertFalse(fleet.devices.get(first).running.containsKey("publisher"), "stalled instance stopped");
  }

  @Test
  void aDeviceThatStopsAnsweringCommandsLosesItsServicesByRule() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e3", Layer.EDGE, Map.of());
    run(400);
    apply(PUBLISHER);
    run(400);
    String host = hostOf("publisher");
    fleet.devices.get(host).silent = true;
    for (int i = 0; i < 3; i++) {
      apply(ServiceSpec.of("probe" + i, "subscriber", new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
          Map.of()).withReplicas(2));
    }
    run(400);
    List<AdaptationEvent> excluded = eventsOf(AdaptationEvent.Type.DEVICE_EXCLUDED).stream()
        .filter(e -> "publisher".equals(e.service())).toList();
    assertEquals(1, excluded.size(), events.toString());
    assertEquals("Device whose commands keep timing out is excluded from its services", excluded.get(0).rule());
  }

  @Test
  void aDeviceHotForTheSustainedWindowIsQuarantinedAndDrained() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(400);
    String hot = hostOf("publisher");
    for (int s = 0; s < 40; s++) {
      engine.onTelemetry(new io.fogwise.protocol.Telemetry(hot, "gw", clock.wallMillis(), 0.1, 1, 2, null, 90.0, Map.of()));
      run(1000);
    }
    List<AdaptationEvent> q = eventsOf(AdaptationEvent.Type.DEVICE_QUARANTINED);
    assertEquals(1, q.size(), events.toString());
    assertEquals(hot, q.get(0).deviceId());
    assertEquals("Device too hot for a sustained window is drained and quarantined", q.get(0).rule());
    assertFalse(hostOf("publisher").equals(hot), "drained");
    assertTrue(engine.registry().get(hot).isQuarantined());
  }

  @Test
  void applyingANewVersionReplacesTheRunningInstanceByRule() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(400);
    apply(new ServiceSpec("publisher", "publisher", null, "2", 1, PUBLISHER.placement(), PUBLISHER.config(), Map.of(),
        false, null));
    run(1000);
    Placement p = engine.placements().get(0);
    assertEquals("2", p.version());
    assertEquals(2, p.epoch());
    assertEquals(Placement.State.RUNNING, p.state());
    assertTrue(events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.INSTANCE_STOPPED
        && "Instance running another version than declared is replaced".equals(e.rule())), events.toString());
  }

  @Test
  void aCriticalServiceIsRaisedToTwoReplicasByRule() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(new ServiceSpec("publisher", "publisher", null, "1", 1, PUBLISHER.placement(), PUBLISHER.config(), Map.of(),
        true, null));
    run(600);
    assertEquals(2, engine.placements().size());
    assertEquals(2, fleet.devices.values().stream().filter(d -> d.running.containsKey("publisher")).count());
  }

  private static final String HOT_ALERT = """
      package alerts
      import io.fogwise.rules.model.Device;
      global io.fogwise.rules.Actions actions;
      rule "Hot device raises an alert"
      when
          $d : Device( temperatureC != null, temperatureC > 70 )
      then
          actions.alert("device " + $d.getId() + " is hot");
      end
      """;

  private static RuleSet packsPlusAlert() throws Exception {
    List<io.fogwise.rules.source.RuleSource> sources = new ArrayList<>(RuleSet.builtInPacks());
    sources.add(new io.fogwise.rules.source.RuleSource("alerts.drl", HOT_ALERT));
    return RuleSet.compile("global v1", sources);
  }

  @Test
  void aSwapInTheMiddleOfASustainedWindowKeepsTheWindow() throws Exception {
    fleet.add("e1", Layer.EDGE, Map.of());
    fleet.add("e2", Layer.EDGE, Map.of());
    run(400);
    long hotFrom = clock.millis();
    for (int s = 0; s < 45; s++) {
      engine.onTelemetry(new io.fogwise.protocol.Telemetry("e1", "gw", clock.wallMillis(), 0.1, 1, 2, null, 90.0, Map.of()));
      if (s == 15) {
        engine.swapRules(RuleSet.compile("global v1", RuleSet.builtInPacks()), engine.parameters(), "global v1");
      }
      run(1000);
    }
    List<AdaptationEvent> q = eventsOf(AdaptationEvent.Type.DEVICE_QUARANTINED);
    assertEquals(1, q.size(), events.toString());
    long after = q.get(0).atMillis() - (clock.wallMillis() - (clock.millis() - hotFrom));
    assertTrue(after >= 30_000 && after <= 31_500, "quarantined " + after + " ms after the heat began, across the swap");
    assertEquals("global v1", engine.policyLabel());
  }

  @Test
  void aSwapRightAfterAFailoverDoesNotFailOverAgainOrRepeatAnAlert() throws Exception {
    engine.swapRules(packsPlusAlert(), engine.parameters(), "global v1");
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(400);
    engine.onTelemetry(new io.fogwise.protocol.Telemetry("e2", "gw", clock.wallMillis(), 0.1, 1, 2, null, 75.0, Map.of()));
    run(100);
    String first = hostOf("publisher");
    fleet.devices.get(first).alive = false;
    run(1500);
    assertEquals(1, eventsOf(AdaptationEvent.Type.DEVICE_LOST).size());
    int startsBefore = eventsOf(AdaptationEvent.Type.INSTANCE_STARTING).size();
    assertEquals(1, eventsOf(AdaptationEvent.Type.ALERT).size(), events.toString());

    engine.swapRules(packsPlusAlert(), engine.parameters(), "global v2");
    run(3000);
    assertEquals(1, eventsOf(AdaptationEvent.Type.DEVICE_LOST).size(), "not declared lost again");
    assertEquals(1, eventsOf(AdaptationEvent.Type.DEVICE_EXCLUDED).size(), "not excluded again");
    assertEquals(startsBefore, eventsOf(AdaptationEvent.Type.INSTANCE_STARTING).size(), "no second failover");
    assertEquals(1, eventsOf(AdaptationEvent.Type.ALERT).size(), "the alert is not repeated: " + events);
  }

  /**
   * A rule that throws a {@code StackOverflowError} on every cycle (a list containing itself is
   * hashed), as a trusted but malicious artifact could carry it: the sandbox refuses the source,
   * so it is compiled without the sandbox and loaded under benign-looking sources.
   */
  private static RuleSet packsPlusOverflowEveryCycle() throws Exception {
    String claimed = """
        package boom
        import io.fogwise.rules.model.Tick;
        global io.fogwise.rules.Actions actions;
        rule "Overflows every cycle"
        when
            $t : Tick()
        then
            actions.alert("tick");
        end
        """;
    String actual = claimed.replace("actions.alert(\"tick\");",
        "java.util.List l = new java.util.ArrayList(); l.add(l); actions.alert(\"tick \" + l.hashCode());");
    List<io.fogwise.rules.source.RuleSource> sources = new ArrayList<>(RuleSet.builtInPacks());
    org.kie.api.KieServices ks = org.kie.api.KieServices.Factory.get();
    org.kie.api.builder.KieFileSystem kfs = ks.newKieFileSystem();
    sources.forEach(src -> kfs.write("src/main/resources/" + src.fileName(), src.drl()));
    kfs.write("src/main/resources/boom.drl", actual);
    org.kie.api.builder.KieBuilder b = ks.newKieBuilder(kfs).buildAll();
    assertFalse(b.getResults().hasMessages(org.kie.api.builder.Message.Level.ERROR), b.getResults().toString());
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new org.drools.base.common.DroolsObjectOutputStream(
        new java.util.zip.GZIPOutputStream(bytes))) {
      out.writeObject(new ArrayList<>(ks.newKieContainer(ks.getRepository().getDefaultReleaseId()).getKieBase()
          .getKiePackages()));
    }
    sources.add(new io.fogwise.rules.source.RuleSource("boom.drl", claimed));
    return RuleSet.load("global v1", sources, bytes.toByteArray());
  }

  @Test
  void aRuleThatThrowsAnErrorEveryCycleNeitherStopsTheLoopNorDelaysAFailover() throws Exception {
    engine.swapRules(packsPlusOverflowEveryCycle(), engine.parameters(), "global v1");
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("e2", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(500);
    String first = hostOf("publisher");
    long killedAtWall = clock.wallMillis();
    fleet.devices.get(first).alive = false;
    run(1500);

    List<AdaptationEvent> lost = eventsOf(AdaptationEvent.Type.DEVICE_LOST);
    assertEquals(1, lost.size(), events.toString());
    assertTrue(lost.get(0).atMillis() - killedAtWall <= 1000, "detected " + (lost.get(0).atMillis() - killedAtWall)
        + " ms after the kill, while a rule failed every cycle");
    assertFalse(hostOf("publisher").equals(first), "failed over");
    assertTrue(engine.ruleFailures() >= 90, "every cycle counted: " + engine.ruleFailures());
    assertTrue(engine.lastRuleFailure().contains("rule \"Overflows every cycle\" threw StackOverflowError"),
        engine.lastRuleFailure());
    List<AdaptationEvent> alerts = eventsOf(AdaptationEvent.Type.ALERT);
    assertFalse(alerts.isEmpty());
    assertTrue(alerts.get(0).reason().contains("StackOverflowError"), alerts.toString());
  }

  /** Devices that do what they are told, synchronously, and heartbeat when asked. */
  // ---- what the operator reads and is told (issue 17) ------------------------------------

  @Test
  void applySaysWhetherItCreatedChangedOrLeftTheServiceAlone() {
    assertEquals("created", engine.handle(ServiceRequest.apply(PUBLISHER)).outcome());
    assertEquals("unchanged", engine.handle(ServiceRequest.apply(PUBLISHER)).outcome());
    assertEquals(1, eventsOf(AdaptationEvent.Type.SERVICE_APPLIED).size(), "an unchanged spec changes nothing");
    assertEquals("configured", engine.handle(ServiceRequest.apply(PUBLISHER.withReplicas(2))).outcome());
  }

  @Test
  void aKindNoDeviceRunsIsRefusedNamingTheKindsTheDevicesOffer() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.add("c1", Layer.CLOUD, Map.of());
    fleet.devices.get("e1").kinds = List.of("publisher", "subscriber");
    fleet.devices.get("c1").kinds = List.of("container", "publisher", "weather");
    run(400);
    var typo = engine.handle(ServiceRequest.apply(ServiceSpec.of("publisher", "pubisher",
        ServiceSpec.Placement.layer(Layer.EDGE), Map.of())));
    assertFalse(typo.ok());
    assertEquals("kind", typo.field());
    assertEquals("no device of gateway gw runs kind 'pubisher'; its devices offer: container, publisher, subscriber,"
        + " weather (an agent with --runtime docker offers the kinds of its --image options)", typo.error());
    assertTrue(engine.serviceStates().isEmpty(), "nothing applied");
    assertTrue(engine.handle(ServiceRequest.apply(ServiceSpec.of("w", "weather", ServiceSpec.Placement.layer(Layer.CLOUD),
        Map.of()))).ok(), "a kind one device offers is accepted");
    fleet.add("old", Layer.FOG, Map.of());
    run(400);
    assertTrue(engine.handle(ServiceRequest.apply(ServiceSpec.of("publisher", "pubisher",
        ServiceSpec.Placement.layer(Layer.EDGE), Map.of()))).ok(),
        "a device that does not say what it runs might run it: not refused");
  }

  @Test
  void aKindIsPlacedOnlyOnDevicesThatRunItAndTheReasonSaysWhyNotElsewhere() {
    fleet.add("e1", Layer.EDGE, Map.of());
    fleet.add("e2", Layer.EDGE, Map.of());
    fleet.devices.get("e1").kinds = List.of("publisher", "subscriber");
    fleet.devices.get("e2").kinds = List.of("publisher", "subscriber", "weather");
    run(400);
    // e2 is busier, but e1 cannot run the image-backed kind: e2 it is
    apply(ServiceSpec.of("busy", "subscriber", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    run(300);
    assertEquals("e1", hostOf("busy"), "least loaded first");
    apply(ServiceSpec.of("other", "subscriber", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    run(300);
    assertEquals("e2", hostOf("other"));
    apply(ServiceSpec.of("w", "weather", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()).withReplicas(2));
    run(600);
    List<String> hosts = engine.placements().stream().filter(p -> p.service().equals("w")).map(Placement::deviceId)
        .toList();
    assertEquals(List.of("e2"), hosts, "never on e1, which does not run kind weather");
    assertTrue(fleet.devices.get("e1").running.keySet().stream().noneMatch("w"::equals));
    io.fogwise.protocol.ServiceState st = engine.serviceStates().stream().filter(x -> x.spec().name().equals("w")).findFirst()
        .orElseThrow();
    assertTrue(st.reason().contains("no eligible device in layer EDGE: of 2 there, 1 not running kind 'weather', 1"
        + " already running it"), st.reason());
    var refused = engine.handle(ServiceRequest.moveToDevice("busy", "e2"));
    assertTrue(refused.ok(), "e2 runs subscribers: " + refused);
    var wrong = engine.handle(ServiceRequest.moveToDevice("w", "e1"));
    assertFalse(wrong.ok());
    assertEquals("device 'e1' does not run kind 'weather'; it offers: publisher, subscriber", wrong.error());
  }

  @Test
  void movingToTheLayerItRunsInSaysSoAndMovesNothing() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(600);
    var r = engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE));
    assertTrue(r.ok(), r.toString());
    assertEquals("unchanged", r.outcome());
    assertEquals("publisher already runs in layer EDGE (on e1); nothing to move", r.note());
    var toDevice = engine.handle(ServiceRequest.moveToDevice("publisher", "e1"));
    assertEquals("unchanged", toDevice.outcome());
    assertEquals(1, eventsOf(AdaptationEvent.Type.SERVICE_APPLIED).size(), "no move was recorded");
  }

  @Test
  void describeShowsWhereAServiceRunsAndWhetherItIsReady() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    run(400);
    apply(PUBLISHER);
    run(600);
    var r = engine.handle(ServiceRequest.read(ServiceRequest.Op.DESCRIBE, "publisher"));
    io.fogwise.protocol.ServiceState st = r.states().get(0);
    assertEquals(io.fogwise.protocol.ServiceState.Phase.RUNNING, st.phase());
    assertEquals(1, st.ready());
    assertEquals(null, st.reason());
    assertEquals("e1", st.placements().get(0).deviceId());
    assertEquals(1, st.placements().get(0).epoch());
    assertTrue(st.placements().get(0).ready());
    assertFalse(engine.handle(ServiceRequest.read(ServiceRequest.Op.DESCRIBE, "nosuch")).ok());
    var devices = engine.handle(ServiceRequest.read(ServiceRequest.Op.DEVICES, null)).devices();
    assertEquals(List.of("publisher#1"), devices.get(0).instances());
    var events = engine.handle(ServiceRequest.read(ServiceRequest.Op.EVENTS, "publisher")).events();
    assertTrue(events.stream().allMatch(e -> "publisher".equals(e.service())), events.toString());
    assertEquals(AdaptationEvent.Type.INSTANCE_STARTED, events.get(events.size() - 1).type());
  }

  @Test
  void aServiceWhoseStartsKeepFailingIsFailingInDescribeStatusAndHealthAndBacksOff() {
    fleet.add("e1", Layer.EDGE, Map.of("pub", "true"));
    fleet.devices.get("e1").refusesStarts = true;
    run(400);
    apply(PUBLISHER);
    run(60_000);
    io.fogwise.protocol.ServiceState st = engine.serviceStates().get(0);
    assertEquals(io.fogwise.protocol.ServiceState.Phase.FAILING, st.phase(), st.toString());
    assertTrue(st.reason().contains("failed starts or moves in a row, the last: refused"), st.reason());
    assertTrue(engine.status().problems().stream().anyMatch(p -> p.startsWith("service publisher keeps failing: ")),
        engine.status().problems().toString());
    assertEquals(List.of("publisher"), engine.health().degraded());
    int starts = eventsOf(AdaptationEvent.Type.INSTANCE_START_FAILED).size();
    assertTrue(starts <= 6, "a minute of refusals costs " + starts + " starts, backing off");
    fleet.devices.get("e1").refusesStarts = false;
    apply(PUBLISHER.withReplicas(2));
    run(1_000);
    assertTrue(engine.serviceStates().get(0).failures() == 0, "a changed spec is tried afresh");
  }

  @Test
  void aServiceNoDeviceAdmitsIsUnplaceableWithTheReason() {
    fleet.add("c1", Layer.CLOUD, Map.of());
    run(400);
    apply(PUBLISHER);
    run(500);
    io.fogwise.protocol.ServiceState st = engine.serviceStates().get(0);
    assertEquals(io.fogwise.protocol.ServiceState.Phase.UNPLACEABLE, st.phase());
    assertEquals("0 of 1 running; no device in layer EDGE with labels {pub=true} (1 device known); start one there or"
        + " change the placement", st.reason());
  }

  private final class FakeFleet extends CommandOrchestrator {
    FakeFleet() {
      super("test");
    }

    final Map<String, FakeDevice> devices = new HashMap<>();
    final List<String> commands = new ArrayList<>();

    void add(String id, Layer layer, Map<String, String> labels) {
      devices.put(id, new FakeDevice(id, layer, labels));
    }

    @Override
    protected CompletionStage<CommandReply> send(String deviceId, Command c) {
      FakeDevice d = devices.get(deviceId);
      if (d == null || !d.alive) {
        return CompletableFuture.failedFuture(new IllegalStateException("no reply from " + deviceId));
      }
      if (d.silent) {
        return CompletableFuture.failedFuture(new IllegalStateException("no reply from " + deviceId));
      }
      commands.add(deviceId + ":" + c.action() + ":" + c.service() + "#" + c.epoch()
          + (c.number() == null ? "" : "@" + c.number()));
      if (c.action() == Command.Action.START) {
        if (d.refusesStarts) {
          return CompletableFuture.completedFuture(CommandReply.error(c.requestId(), deviceId, "refused"));
        }
        if (!d.ignoresStarts) {
          d.running.put(c.service(), c.epoch());
          if (c.standby()) {
            d.standby.add(c.service());
          }
        }
        return CompletableFuture.completedFuture(CommandReply.ok(c.requestId(), deviceId));
      }
      Long epoch = d.running.get(c.service());
      if (epoch == null || epoch != c.epoch()) {
        return CompletableFuture.completedFuture(CommandReply.error(c.requestId(), deviceId, "no instance"));
      }
      switch (c.action()) {
        case STOP -> d.running.remove(c.service());
        case HANDOVER -> {
          d.standby.add(c.service());
          d.handedOverAt = d.outputs;
          return CompletableFuture.completedFuture(CommandReply.handedOver(c.requestId(), deviceId, d.outputs));
        }
        case ACTIVATE -> {
          d.standby.remove(c.service());
          d.outputs = c.number();
        }
        default -> { }
      }
      return CompletableFuture.completedFuture(CommandReply.ok(c.requestId(), deviceId));
    }

    @Override
    public String name() {
      return "fake";
    }
  }

  private final class FakeDevice {
    final String id;
    final Layer layer;
    final Map<String, String> labels;
    final Map<String, Long> running = new HashMap<>();
    final java.util.Set<String> standby = new java.util.HashSet<>();
    long outputs;
    long handedOverAt = -1;
    boolean stalled;
    boolean silent;
    boolean alive = true;
    boolean ignoresStarts;
    boolean refusesStarts;
    List<String> kinds = List.of();
    long seq;

    FakeDevice(String id, Layer layer, Map<String, String> labels) {
      this.id = id;
      this.layer = layer;
      this.labels = labels;
    }

    Heartbeat heartbeat() {
      List<InstanceReport> reports = new ArrayList<>();
      if (!stalled) {
        outputs += 20;
      }
      running.forEach((svc, epoch) -> reports.add(new InstanceReport(svc, "publisher", epoch,
          standby.contains(svc) ? InstanceReport.InstanceState.STANDBY : InstanceReport.InstanceState.RUNNING, 0,
          outputs)));
      return new Heartbeat(id, "gw", seq++, clock.wallMillis(), 200, layer, null, labels, reports, kinds);
    }
  }
}
