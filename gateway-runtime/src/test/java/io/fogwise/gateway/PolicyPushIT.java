package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fogwise.gateway.policy.PolicyManager;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.policy.EffectivePolicy;
import io.fogwise.policy.PolicyArtifact;
import io.fogwise.policy.PolicyArtifacts;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyStore;
import io.fogwise.policy.TrustedKeys;
import io.nats.client.KeyValue;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Policy pushed through the fw-rules KV bucket to a real gateway, on a real nats-server. */
class PolicyPushIT extends PolicyItBase {

  private static final String HOT_ALERT = """
      package my.policy
      import io.fogwise.rules.model.Device;
      global io.fogwise.rules.Actions actions;
      rule "Hot device raises an alert"
      when
          $d : Device( temperatureC != null, temperatureC > 70 )
      then
          actions.alert("device " + $d.getId() + " is hot");
      end
      """;

  @Override
  PolicyManager.Settings policySettings() {
    return new PolicyManager.Settings(Duration.ofSeconds(5), 30);
  }

  /** The built-in packs plus extra files, as the global scope. */
  private static List<PolicyBundle.RuleFile> packsPlus(String fileName, String drl) {
    List<PolicyBundle.RuleFile> files = new ArrayList<>();
    RuleSet.builtInPacks().forEach(s -> files.add(new PolicyBundle.RuleFile(s.fileName(), s.drl())));
    files.add(new PolicyBundle.RuleFile(fileName, drl));
    return files;
  }

  private PolicyBundle signed(String scope, long version, List<PolicyBundle.RuleFile> files) {
    return PolicyBundles.sign(scope, version, "it", System.currentTimeMillis(), files, Map.of(), KEY);
  }

  private PolicyOutcome awaitOutcome(String scope, long version) {
    await().atMost(WAIT).until(() -> outcomes.stream().anyMatch(o -> o.scope().equals(scope) && o.version() == version));
    return outcomes.stream().filter(o -> o.scope().equals(scope) && o.version() == version).findFirst().orElseThrow();
  }

  private String live() {
    return gateway.query(e -> e.policyLabel());
  }

  private void raw(String key, byte[] value, long pointer) throws Exception {
    KeyValue kv = client.keyValue(Subjects.POLICY_BUCKET);
    kv.put(key, value);
    kv.put(key.substring(0, key.lastIndexOf(".v")), Long.toString(pointer).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aSignedBundleIsAppliedAndItsRulesRun() throws Exception {
    assertEquals("global v0", live());
    store.publish(signed("global", 1, packsPlus("hot.drl", HOT_ALERT)));
    PolicyOutcome o = awaitOutcome("global", 1);
    assertEquals(PolicyOutcome.State.APPLIED, o.state(), String.valueOf(o.reason()));
    assertEquals("global v1", o.live());
    assertTrue(o.compileMillis() > 0);
    assertEquals("global v1", live());

    agent("e1", Layer.EDGE, Map.of());
    awaitAlive(1);
    gateway.query(e -> {
      e.onTelemetry(new Telemetry("e1", GW, System.currentTimeMillis(), 0.1, 1, 2, null, 75.0, Map.of()));
      return null;
    });
    await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.ALERT
        && "Hot device raises an alert".equals(e.rule())));

    // a gateway-scope rule of the same name replaces the global one
    store.publish(PolicyBundles.sign("gw." + GW, 1, "it", 1, List.of(new PolicyBundle.RuleFile("mine.drl",
        HOT_ALERT.replace("package my.policy", "package mine").replace("is hot", "is too hot here"))),
        Map.of("compliance.maxTemperatureC", PolicyBundle.Param.infer("60")), KEY));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome("gw." + GW, 1).state());
    assertEquals("global v1 + gw.gw-it v1", live());
    assertEquals(60.0, gateway.query(e -> e.parameters().number("compliance.maxTemperatureC")));
    long named = gateway.query(e -> e.ruleSet().ruleNames().stream()
        .filter(n -> n.equals("Hot device raises an alert")).count());
    assertEquals(1L, named);
  }

  @Test
  void aCloudCompiledArtifactIsLoadedInsteadOfCompiled() throws Exception {
    PolicyBundle v1 = signed("global", 1, packsPlus("hot.drl", HOT_ALERT));
    List<PolicyArtifacts.Precompiled> done = PolicyArtifacts.precompile(store, v1, "it", 1, KEY);
    assertEquals(List.of("global v1"), done.stream().map(PolicyArtifacts.Precompiled::label).toList());
    store.publish(v1);
    PolicyOutcome o = awaitOutcome("global", 1);
    assertEquals(PolicyOutcome.State.APPLIED, o.state(), String.valueOf(o.reason()));
    assertEquals(PolicyOutcome.Build.ARTIFACT, o.build());
    assertNull(o.buildNote());
    assertEquals("global v1", live());

    // the loaded rules run
    agent("e1", Layer.EDGE, Map.of());
    awaitAlive(1);
    gateway.query(e -> {
      e.onTelemetry(new Telemetry("e1", GW, System.currentTimeMillis(), 0.1, 1, 2, null, 75.0, Map.of()));
      return null;
    });
    await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.ALERT
        && "Hot device raises an alert".equals(e.rule())));

    // An artifact signed by an untrusted key: not used, the gateway compiles, and says why.
    KeyPair other = PolicyBundles.generateKeyPair();
    PolicyBundles.SigningKey otherKey = new PolicyBundles.SigningKey(PolicyBundles.keyId(other.getPublic()),
        other.getPrivate());
    PolicyBundle v2 = signed("global", 2, packsPlus("hot.drl", HOT_ALERT.replace("> 70", "> 71")));
    store.putArtifact(PolicyArtifacts.build(EffectivePolicy.compose(v2, "gw." + GW, null), "mallory", 1, otherKey)
        .artifact());
    store.publish(v2);
    PolicyOutcome o2 = awaitOutcome("global", 2);
    assertEquals(PolicyOutcome.State.APPLIED, o2.state(), String.valueOf(o2.reason()));
    assertEquals(PolicyOutcome.Build.COMPILED, o2.build());
    assertTrue(o2.buildNote().contains("which is not trusted"), o2.buildNote());

    // A payload changed after signing: not used either.
    PolicyBundle v3 = signed("global", 3, packsPlus("hot.drl", HOT_ALERT.replace("> 70", "> 72")));
    PolicyArtifact good = PolicyArtifacts.build(EffectivePolicy.compose(v3, "gw." + GW, null), "it", 1, KEY)
        .artifact();
    String p = good.payload();
    store.putArtifact(new PolicyArtifact(good.format(), good.runtime(), good.sourcesSha256(), good.label(),
        good.compiledBy(), good.compiledAtMillis(), good.compileMillis(), good.payloadSha256(),
        p.substring(0, 20) + (p.charAt(20) == 'A' ? 'B' : 'A') + p.substring(21), good.keyId(), good.signature()));
    store.publish(v3);
    PolicyOutcome o3 = awaitOutcome("global", 3);
    assertEquals(PolicyOutcome.State.APPLIED, o3.state(), String.valueOf(o3.reason()));
    assertEquals(PolicyOutcome.Build.COMPILED, o3.build());
    assertTrue(o3.buildNote().contains("tampered"), o3.buildNote());
    assertEquals("global v3", live());
  }

  @Test
  void everyBadBundleIsRejectedWithAReasonAndTheLastGoodVersionStaysLive() throws Exception {
    store.publish(signed("global", 1, packsPlus("hot.drl", HOT_ALERT)));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome("global", 1).state());

    PolicyBundle good = signed("global", 2, packsPlus("hot.drl", HOT_ALERT));
    // unsigned
    PolicyBundle unsigned = new PolicyBundle("global", 2, "it", 1, good.sources(), Map.of(), good.sha256(), null, null);
    raw("global.v2", PolicyBundles.encode(unsigned), 2);
    assertRejected("global", 2, "not signed");
    // tampered
    String tampered = new String(PolicyBundles.encode(signed("global", 3, packsPlus("hot.drl", HOT_ALERT))),
        StandardCharsets.UTF_8).replace("temperatureC > 70", "temperatureC > 1");
    raw("global.v3", tampered.getBytes(StandardCharsets.UTF_8), 3);
    assertRejected("global", 3, "tampered");
    // wrong key
    KeyPair other = PolicyBundles.generateKeyPair();
    raw("global.v4", PolicyBundles.encode(PolicyBundles.sign("global", 4, "mallory", 1, good.sources(), Map.of(),
        new PolicyBundles.SigningKey(PolicyBundles.keyId(other.getPublic()), other.getPrivate()))), 4);
    assertRejected("global", 4, "does not trust");
    // replayed into another scope
    raw("global.v5", PolicyBundles.encode(signed("gw.someone-else", 5, good.sources())), 5);
    assertRejected("global", 5, "replayed");
    // replayed as another version
    raw("global.v6", PolicyBundles.encode(signed("global", 1, good.sources())), 6);
    assertRejected("global", 6, "replayed");
    // malformed
    raw("global.v7", "{not json".getBytes(StandardCharsets.UTF_8), 7);
    assertRejected("global", 7, "unreadable");
    // oversized
    byte[] big = new byte[PolicyBundles.MAX_BUNDLE_BYTES + 100];
    java.util.Arrays.fill(big, (byte) ' ');
    raw("global.v8", big, 8);
    assertRejected("global", 8, "exceeds the limit");
    // sandbox-violating
    String evil = HOT_ALERT.replace("actions.alert(\"device \" + $d.getId() + \" is hot\");",
        "java.lang.Runtime.getRuntime().exec(\"reboot\");");
    raw("global.v9", PolicyBundles.encode(signed("global", 9, packsPlus("evil.drl", evil))), 9);
    PolicyOutcome sandbox = assertRejected("global", 9, "sandbox");
    assertEquals("evil.drl", sandbox.errors().get(0).file());
    assertEquals(8, sandbox.errors().get(0).line());
    assertTrue(sandbox.errors().get(0).message().contains("java.lang.Runtime.getRuntime()"));
    // stale: the pointer goes back to an older version
    client.keyValue(Subjects.POLICY_BUCKET).put("global", "1".getBytes(StandardCharsets.UTF_8));
    store.publish(signed("global", 10, packsPlus("hot.drl", HOT_ALERT)));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome("global", 10).state());
    store.setLive("global", 1);
    PolicyOutcome stale = awaitOutcome("global", 1 + 0 * outcomes.size());
    assertEquals("global v10", live(), "the newest good version stays live after a stale pointer: " + stale);
  }

  private PolicyOutcome assertRejected(String scope, long version, String reasonPart) {
    PolicyOutcome o = awaitOutcome(scope, version);
    assertEquals(PolicyOutcome.State.REJECTED, o.state(), o.toString());
    assertTrue(o.reason().contains(reasonPart), o.reason());
    assertTrue(live().startsWith("global v1"), "last good version live: " + live());
    return o;
  }

  @Test
  void aStormingRuleSetIsRolledBackAndNotReappliedAfterARestart() throws Exception {
    agent("e1", Layer.EDGE, Map.of());
    awaitAlive(1);
    store.publish(signed("global", 1, packsPlus("hot.drl", HOT_ALERT)));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome("global", 1).state());
    String storm = """
        package storm
        import io.fogwise.rules.model.Tick;
        global io.fogwise.rules.Actions actions;
        rule "Every tick sets a parameter"
        when
            $t : Tick()
        then
            actions.setParameter("storm.counter", String.valueOf($t.getNowMillis()), "storm");
        end
        """;
    store.publish(signed("global", 2, packsPlus("storm.drl", storm)));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome("global", 2).state());
    await().atMost(WAIT).until(() -> outcomes.stream().anyMatch(o -> o.version() == 2
        && o.state() == PolicyOutcome.State.ROLLED_BACK));
    PolicyOutcome rolled = outcomes.stream().filter(o -> o.state() == PolicyOutcome.State.ROLLED_BACK).findFirst()
        .orElseThrow();
    assertTrue(rolled.reason().contains("storm limit"), rolled.reason());
    assertEquals("global v1", live());

    gateway.close();
    outcomes.clear();
    gateway = Gateway.start(config().build());
    assertEquals("global v1", live(), "the rolled-back version is not applied again after a restart");
  }

  @Test
  void aGatewayStartedLaterConvergesToTheNewestVersion() throws Exception {
    store.publish(signed("global", 1, packsPlus("hot.drl", HOT_ALERT)));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome("global", 1).state());
    gateway.close();
    store.publish(signed("global", 2, packsPlus("hot.drl", HOT_ALERT)));
    gateway = Gateway.start(config().build());
    assertEquals("global v2", live(), "a gateway started later runs the newest version");
    store.publish(signed("global", 3, packsPlus("hot.drl", HOT_ALERT)));
    assertEquals(PolicyOutcome.State.APPLIED, awaitOutcome("global", 3).state());
    assertEquals("global v3", live());
  }
}
