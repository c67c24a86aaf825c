package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.policy.PolicyManager;
import io.fogwise.gateway.lease.GatewayLease;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyStore;
import io.fogwise.policy.TrustedKeys;
import io.nats.client.KeyValue;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Policy history only moves forward, and durable state that does not parse is set aside (issue
 * 10): each test is an attack on the policy bucket or the gateway's own state, and asserts both
 * that it fails and that the gateway says why (status and /health, an event, a metric).
 */
class PolicyHistoryIT extends PolicyItBase {

  @Override
  PolicyManager.Settings policySettings() {
    return new PolicyManager.Settings(Duration.ofSeconds(5), 30);
  }

  @Override
  GatewayConfig.Builder config() {
    return super.config().httpPort(0);
  }

  /** The built-in packs plus one marker rule, as version {@code version} of global. */
  private static PolicyBundle global(long version) {
    List<PolicyBundle.RuleFile> files = new ArrayList<>();
    RuleSet.builtInPacks().forEach(s -> files.add(new PolicyBundle.RuleFile(s.fileName(), s.drl())));
    files.add(new PolicyBundle.RuleFile("marker.drl", """
        package marker
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;
        rule "Marker %d"
        when
            $d : Device( temperatureC != null, temperatureC > 1000 )
        then
            actions.alert("marker");
        end
        """.formatted(version)));
    return PolicyBundles.sign("global", version, "it", System.currentTimeMillis(), files, Map.of(), KEY);
  }

  private void push(PolicyStore s, long version) {
    s.publish(global(version));
    await().atMost(WAIT).until(() -> outcomes.stream().anyMatch(o -> o.version() == version));
    PolicyOutcome o = outcomes.stream().filter(x -> x.version() == version).findFirst().orElseThrow();
    assertEquals(PolicyOutcome.State.APPLIED, o.state(), String.valueOf(o.reason()));
  }

  private String live() {
    return gateway.query(e -> e.policyLabel());
  }

  private List<String> problems() {
    return gateway.query(e -> e.status().problems());
  }

  private void restart() throws Exception {
    gateway.close();
    events.clear();
    outcomes.clear();
    gateway = Gateway.start(config().build());
  }

  private void awaitProblem(String part) {
    await().atMost(WAIT).until(() -> problems().stream().anyMatch(p -> p.contains(part)));
    await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.reason() != null && e.reason().contains(part)
        && (e.type() == AdaptationEvent.Type.POLICY_STORE_PROBLEM || e.type() == AdaptationEvent.Type.STATE_SET_ASIDE)));
  }

  private double problemCount(String kind) {
    var c = gateway.meters().find("fogwise_problems").tag("kind", kind).counter();
    return c == null ? 0 : c.count();
  }

  private String health() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + gateway.httpPort() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  @Test
  void healthShowsTheLeaseThisGatewayHoldsOnItsId() throws Exception {
    GatewayLease held = gateway.lease().orElseThrow();
    await().atMost(WAIT).until(() -> health().contains("\"lease\":{"));
    String h = health();
    assertTrue(h.contains("\"epoch\":" + held.epoch()) && h.contains("\"pid\":" + ProcessHandle.current().pid()), h);
  }

  @Test
  void aPointerMovedBackToAnOlderSignedVersionIsRefusedAtStart() throws Exception {
    push(store, 1);
    push(store, 2);
    store.setLive("global", 1); // signed, stored, older: the attack
    restart();
    assertEquals("global v2", live(), "the newer version stays after a restart");
    awaitProblem("names v1, below v2");
    assertTrue(health().contains("names v1, below v2"), health());
    assertEquals(1.0, problemCount("policy_pointer"));
    assertEquals(Map.of("global", 2L), gateway.query(e -> e.status().policyVersions()));
  }

  @Test
  void aDeletedPointerDoesNotTakeThePolicyAwayAtStart() throws Exception {
    push(store, 1);
    push(store, 2);
    client.keyValue(Subjects.POLICY_BUCKET).delete("global");
    restart();
    assertEquals("global v2", live(), "not only the built-in packs");
    awaitProblem("the live pointer global is missing");
    // and a later push is applied
    push(store, 3);
    assertEquals("global v3", live());
    await().atMost(WAIT).until(() -> problems().isEmpty());
  }

  @Test
  void aDeletedBucketDoesNotTakeThePolicyAwayAtStartAndIsCreatedAgain() throws Exception {
    push(store, 1);
    client.keyValueManagement().delete(Subjects.POLICY_BUCKET);
    restart();
    // the version keys are gone with the bucket: v1 comes from the gateway's own state; the
    // gateway may not create the bucket again (nor any stream): it waits for the next push
    assertEquals("global v1", live());
    awaitProblem("the policy bucket fw-rules does not exist");
    push(PolicyStore.open(client), 2);
    assertEquals("global v2", live());
  }

  @Test
  void malformedPointersAreReportedAndLaterPushesAreApplied() throws Exception {
    push(store, 1);
    KeyValue kv = client.keyValue(Subjects.POLICY_BUCKET);
    kv.put("global", "999999999999999999".getBytes(StandardCharsets.US_ASCII));
    awaitProblem("names v999999999999999999, which is not stored");
    PolicyOutcome o = outcomes.stream().filter(x -> x.version() == 999_999_999_999_999_999L).findFirst().orElseThrow();
    assertEquals(PolicyOutcome.State.REJECTED, o.state());
    assertEquals("global v1", live());

    kv.put("global", "v1-please".getBytes(StandardCharsets.US_ASCII));
    awaitProblem("holds 'v1-please' (not a version number)");
    assertEquals("global v1", live());
    assertTrue(problemCount("policy_pointer") >= 2);

    // the pusher's repair path ('fogwise rules repair'), then a push: applied, problem gone
    store.repair("global", 1);
    push(store, 2);
    assertEquals("global v2", live());
    await().atMost(WAIT).until(() -> problems().isEmpty());
    assertTrue(events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.POLICY_STORE_RECOVERED));
  }

  @Test
  void aPurgedStreamIsReportedAndANewPushIsAppliedWithoutARestart() throws Exception {
    push(store, 1);
    push(store, 2);
    client.jetStreamManagement().purgeStream("KV_" + Subjects.POLICY_BUCKET);
    awaitProblem("the live pointer global is missing");
    assertEquals("global v2", live());
    push(store, 3); // the CLI picks a version above what the gateways run (RulesPolicyIT)
    assertEquals("global v3", live());
    await().atMost(WAIT).until(() -> problems().isEmpty());
  }

  @Test
  void aDeletedBucketIsReportedAndANewPushIsAppliedWithoutARestart() throws Exception {
    push(store, 1);
    client.keyValueManagement().delete(Subjects.POLICY_BUCKET);
    awaitProblem("the policy bucket fw-rules does not exist");
    assertEquals(1.0, problemCount("policy_bucket"));
    assertEquals("global v1", live());
    // the pusher creates the bucket again; the gateway watches it again and applies the push
    push(PolicyStore.open(client), 2);
    assertEquals("global v2", live());
    await().atMost(WAIT).until(() -> problems().isEmpty());
  }

  @Test
  void junkDurableStateIsSetAsideAndTheGatewayStarts() throws Exception {
    push(store, 1);
    gateway.close();
    KeyValue state = client.keyValue("fw-desired-" + GW);
    byte[] junk = "{\"not\": \"a snapshot\", \"at all\": [".getBytes(StandardCharsets.UTF_8);
    state.put("state", junk);
    events.clear();
    gateway = Gateway.start(config().build()); // before: 'the gateway does not start'
    awaitProblem("does not parse");
    assertTrue(health().contains("does not parse"), health());
    assertEquals(1.0, problemCount("state_set_aside"));
    List<String> aside = state.keys().stream().filter(k -> k.startsWith("state.corrupt.")).toList();
    assertEquals(1, aside.size(), "the junk is kept aside: " + state.keys());
    assertEquals(new String(junk, StandardCharsets.UTF_8), state.get(aside.get(0)).getValueAsString());
    // the policy it ran is kept beside the state: still v1
    assertEquals("global v1", live());
  }

  @Test
  void aStatsSubjectOutsideTheServicesSpaceIsRefusedByTheApiWithTheField() throws Exception {
    String spec = "{\"name\":\"evil\",\"kind\":\"subscriber\",\"config\":{\"app\":\"demo\","
        + "\"statsSubject\":\"$KV.fw-desired-" + GW + ".state\"}}";
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + gateway.httpPort() + "/services"))
        .POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"field\":\"config.statsSubject\""), r.body());
    assertTrue(r.body().contains("reserved subject space $KV."), r.body());
    // nor through the NATS request subject
    var resp = request(MessageCodec.encode(io.fogwise.protocol.ServiceRequest.apply(
        io.fogwise.protocol.ServiceSpec.of("ok", "subscriber", null, Map.of("app", "demo")))));
    assertTrue(resp.ok(), resp.toString());
    byte[] raw = ("{\"op\":\"APPLY\",\"spec\":" + spec + "}").getBytes(StandardCharsets.UTF_8);
    var refused = request(raw);
    assertTrue(!refused.ok() && refused.error().contains("statsSubject"), refused.toString());
    assertEquals(List.of("ok"), gateway.query(e -> e.handle(io.fogwise.protocol.ServiceRequest.list()))
        .services().stream().map(io.fogwise.protocol.ServiceSpec::name).toList());
  }
}
