package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.policy.PolicyManager;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.policy.PolicyArtifacts;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyStore;
import io.fogwise.policy.TrustedKeys;
import io.nats.client.Connection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule sets pushed with a trusted key by someone who means harm, against a real gateway on a
 * real nats-server: side doors in rule attributes, huge allocations written down, and rules that
 * allocate without bound at run time. None of them runs code outside the sandbox, stops the
 * decision loop, or delays failure detection.
 */
class RuleAttackIT extends PolicyItBase {
  /** The failure detector's promise, and the one the attacks must not break. */
  private static final long DETECT_WITHIN_MS = 1_000;

  /** Events as an independent subscriber sees them, with the wall-clock time each arrived. */
  private final List<Arrived> arrived = new CopyOnWriteArrayList<>();
  private Connection observer;
  @TempDir Path dir;

  private record Arrived(AdaptationEvent event, long atMillis) {}

  @Override
  PolicyManager.Settings policySettings() {
    return new PolicyManager.Settings(Duration.ofSeconds(30), 120);
  }

  @BeforeEach
  void listen() throws Exception {
    observer = hub.connect();
    observer.createDispatcher(m -> {
      try {
        arrived.add(new Arrived(MessageCodec.decode(m.getData(), AdaptationEvent.class), System.currentTimeMillis()));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }).subscribe(Subjects.events(GW));
    observer.flush(Duration.ofSeconds(2));
  }

  @AfterEach
  void closeObserver() throws Exception {
    observer.close();
  }

  private static final String HEAD = """
      package attack
      import io.fogwise.rules.model.Device;
      import io.fogwise.rules.model.Tick;
      global io.fogwise.rules.Actions actions;
      """;

  private static PolicyBundle signed(long version, String fileName, String drl) {
    List<PolicyBundle.RuleFile> files = new ArrayList<>();
    RuleSet.builtInPacks().forEach(s -> files.add(new PolicyBundle.RuleFile(s.fileName(), s.drl())));
    files.add(new PolicyBundle.RuleFile(fileName, drl));
    return PolicyBundles.sign("global", version, "mallory-with-a-trusted-key", System.currentTimeMillis(), files,
        Map.of(), KEY);
  }

  private PolicyOutcome awaitOutcome(long version, PolicyOutcome.State state) {
    await().atMost(WAIT).until(() -> outcomes.stream().anyMatch(o -> o.version() == version && o.state() == state));
    return outcomes.stream().filter(o -> o.version() == version && o.state() == state).findFirst().orElseThrow();
  }

  private String live() {
    return gateway.query(e -> e.policyLabel());
  }

  /** The gateway answers a service request on {@code fw.gw.<id>.services}. */
  private void assertServing() throws Exception {
    assertTrue(request(MessageCodec.encode(ServiceRequest.list())).ok(), "the gateway serves requests");
  }

  /** Stops {@code id}'s heartbeats and asserts the independent observer sees it lost within the promise. */
  private void assertLostInTime(String id) {
    long stoppedAt = System.currentTimeMillis();
    agents.remove(id).close();
    java.util.function.Predicate<Arrived> lost = a -> a.event().type() == AdaptationEvent.Type.DEVICE_LOST
        && id.equals(a.event().deviceId()) && a.atMillis() >= stoppedAt;
    await().atMost(WAIT).until(() -> arrived.stream().anyMatch(lost));
    long lostAt = arrived.stream().filter(lost).findFirst().orElseThrow().atMillis();
    assertTrue(lostAt - stoppedAt <= DETECT_WITHIN_MS, id + " declared lost " + (lostAt - stoppedAt)
        + " ms after its heartbeats stopped");
  }

  @Test
  void theAttributeSideDoorsAreRejectedAndNothingRuns() throws Exception {
    agent("e1", Layer.EDGE, Map.of());
    awaitAlive(1);
    Path marker = dir.resolve("pwned");
    String shell = HEAD + """
        rule "Looks harmless"
            salience ( java.lang.Runtime.getRuntime().exec(new String[] {"touch", "%s"}) == null ? 1 : 2 )
        when
            $d : Device()
        then
            actions.alert("hello " + $d.getId());
        end
        """.formatted(marker);
    PolicyBundle v1 = signed(1, "shell.drl", shell);
    // the pusher refuses it before publishing...
    PolicyArtifacts.CompileFailed refused = assertThrows(PolicyArtifacts.CompileFailed.class,
        () -> PolicyArtifacts.precompile(store, v1, "it", 1, KEY));
    assertTrue(refused.errors().get(0).toString().startsWith("shell.drl:6:16: rule \"Looks harmless\": calls"
        + " java.lang.Runtime.getRuntime()"), refused.errors().toString());
    // ...and a gateway sent it anyway (--no-precompile, or a pusher of one's own) refuses it too
    store.publish(v1);
    PolicyOutcome o = awaitOutcome(1, PolicyOutcome.State.REJECTED);
    assertTrue(o.reason().contains("breaks the sandbox"), o.reason());
    PolicyOutcome.RuleErrorInfo first = o.errors().get(0);
    assertEquals("shell.drl:6:16", first.file() + ":" + first.line() + ":" + first.column());
    assertTrue(first.message().contains("not allowed in a rule's salience"), first.message());
    assertTrue(Files.notExists(marker), "the shell never ran");

    String exit = HEAD + """
        rule "Looks harmless too"
            enabled ( java.lang.System.exit(66) == null )
        when
            $d : Device()
        then
            actions.alert("hello " + $d.getId());
        end
        """;
    store.publish(signed(2, "exit.drl", exit));
    PolicyOutcome o2 = awaitOutcome(2, PolicyOutcome.State.REJECTED);
    assertTrue(o2.errors().get(0).message().contains("calls java.lang.System.exit(...)"), o2.errors().toString());
    assertEquals("global v0", live(), "the gateway is alive and runs its last good policy");
    assertServing();
  }

  @Test
  void aHugeFormatWidthIsRefusedAtCompileTime() throws Exception {
    String pad = HEAD + """
        rule "Pads a reason"
        when
            $d : Device()
        then
            String s = String.format("%0900000000d", 1);
            actions.alert(s);
        end
        """;
    store.publish(signed(1, "pad.drl", pad));
    PolicyOutcome o = awaitOutcome(1, PolicyOutcome.State.REJECTED);
    PolicyOutcome.RuleErrorInfo e = o.errors().get(0);
    assertEquals("pad.drl:9:30", e.file() + ":" + e.line() + ":" + e.column());
    assertTrue(e.message().contains("%0900000000d asks for a width above the limit of 1000"), e.message());
    assertEquals("global v0", live());
  }

  @Test
  void aRuleSetThatAllocatesWithoutBoundIsRolledBackAndFailureDetectionKeepsItsPromise() throws Exception {
    agent("e1", Layer.EDGE, Map.of());
    agent("e2", Layer.EDGE, Map.of());
    agent("e3", Layer.EDGE, Map.of());
    awaitAlive(3);
    // Passes every compile check; once a device reports 95 °C it allocates without bound on every
    // decision cycle (each Tick): 64 KiB per turn of a loop only the allocation budget stops.
    String hog = HEAD + """
        rule "Builds an endless report while a device is hot"
        when
            $t : Tick()
            $d : Device( temperatureC != null, temperatureC > 90 )
        then
            long reported = $t.getNowMillis();
            while (true) { reported += new StringBuilder(65536).append($d.getId()).length(); }
        end
        """;
    store.publish(signed(1, "hog.drl", hog));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome(1, PolicyOutcome.State.APPLIED).state());

    gateway.query(e -> {
      e.onTelemetry(new Telemetry("e3", GW, System.currentTimeMillis(), 0.1, 1, 2, null, 95.0, Map.of()));
      return null;
    });
    // the attack is on: cycles fail (reported as an ALERT)...
    String rule = "rule \"Builds an endless report while a device is hot\"";
    await().atMost(WAIT).until(() -> arrived.stream().anyMatch(a -> a.event().type() == AdaptationEvent.Type.ALERT
        && a.event().reason().contains(rule)));
    // ...and a device whose heartbeats stop now is still declared lost in time
    assertLostInTime("e1");
    PolicyOutcome rolled = awaitOutcome(1, PolicyOutcome.State.ROLLED_BACK);
    assertTrue(rolled.reason().contains("global v1 rolled back to global v0") && rolled.reason().contains(rule)
        && rolled.reason().contains("budget"), rolled.reason());
    // the allocation budget is what stopped it (on a loaded machine a slow cycle may also meet the wall-time one)
    String stopped = "allocated more than the allocation budget of 64 MiB";
    assertTrue(rolled.reason().contains(stopped) || arrived.stream().anyMatch(a -> a.event().type()
        == AdaptationEvent.Type.ALERT && a.event().reason().contains(rule + " " + stopped)), rolled.reason());
    assertEquals("global v0", live());
    assertServing();

    // after it: detection, requests and pushes all still work
    assertLostInTime("e2");
    store.publish(signed(2, "fine.drl", HEAD + """
        rule "Hot device raises an alert"
        when
            $d : Device( temperatureC != null, temperatureC > 90 )
        then
            actions.alert("device " + $d.getId() + " is hot");
        end
        """));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome(2, PolicyOutcome.State.APPLIED).state());
    assertEquals("global v2", live());
    assertServing();
  }
}
