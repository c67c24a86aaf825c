package io.fogwise.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.rules.host.RuleSet;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyBundlesTest {
  private final KeyPair pair = PolicyBundles.generateKeyPair();
  private final PolicyBundles.SigningKey key = new PolicyBundles.SigningKey(PolicyBundles.keyId(pair.getPublic()),
      pair.getPrivate());
  private final TrustedKeys trusted = TrustedKeys.of(pair.getPublic());

  private static final String RULE = """
      package p
      import io.fogwise.rules.model.Device;
      global io.fogwise.rules.Actions actions;
      rule "Hot device raises an alert"
      when
          $d : Device( temperatureC != null, temperatureC > 70 )
      then
          actions.alert("hot " + $d.getId());
      end
      """;

  private PolicyBundle bundle(String scope, long version) {
    return PolicyBundles.sign(scope, version, "alice", 1_767_225_600_000L,
        List.of(new PolicyBundle.RuleFile("hot.drl", RULE)), Map.of("x", PolicyBundle.Param.infer("3")), key);
  }

  @Test
  void aSignedBundleVerifiesAndSurvivesEncoding() throws Exception {
    PolicyBundle b = PolicyBundles.decode(PolicyBundles.encode(bundle("global", 3)));
    PolicyBundles.verify(b, trusted, "global", 3);
    assertEquals("number", b.parameters().get("x").type());
    assertEquals(64, b.sha256().length());
  }

  @Test
  void tamperingIsDetected() throws Exception {
    String json = new String(PolicyBundles.encode(bundle("global", 3)), StandardCharsets.UTF_8);
    PolicyBundle b = PolicyBundles.decode(json.replace("temperatureC > 70", "temperatureC > 10")
        .getBytes(StandardCharsets.UTF_8));
    var e = assertThrows(PolicyRejected.class, () -> PolicyBundles.verify(b, trusted, "global", 3));
    assertEquals(PolicyRejected.Reason.TAMPERED, e.reason());
  }

  @Test
  void aReplayIntoAnotherScopeOrVersionIsDetected() {
    PolicyBundle b = bundle("gw.gw-1", 3);
    assertEquals(PolicyRejected.Reason.WRONG_SCOPE,
        assertThrows(PolicyRejected.class, () -> PolicyBundles.verify(b, trusted, "gw.gw-2", 3)).reason());
    assertEquals(PolicyRejected.Reason.WRONG_VERSION,
        assertThrows(PolicyRejected.class, () -> PolicyBundles.verify(b, trusted, "gw.gw-1", 7)).reason());
  }

  @Test
  void unsignedAndForeignKeysAreRefused() {
    PolicyBundle b = bundle("global", 1);
    PolicyBundle unsigned = new PolicyBundle(b.scope(), b.version(), b.author(), b.createdAtMillis(), b.sources(),
        b.parameters(), b.sha256(), null, null);
    assertEquals(PolicyRejected.Reason.UNSIGNED,
        assertThrows(PolicyRejected.class, () -> PolicyBundles.verify(unsigned, trusted, "global", 1)).reason());
    TrustedKeys other = TrustedKeys.of(PolicyBundles.generateKeyPair().getPublic());
    assertEquals(PolicyRejected.Reason.UNKNOWN_KEY,
        assertThrows(PolicyRejected.class, () -> PolicyBundles.verify(b, other, "global", 1)).reason());
    // a key that claims the trusted key's id but is another key
    KeyPair forger = PolicyBundles.generateKeyPair();
    PolicyBundle forged = PolicyBundles.sign("global", 1, "mallory", 1, b.sources(), b.parameters(),
        new PolicyBundles.SigningKey(key.keyId(), forger.getPrivate()));
    assertEquals(PolicyRejected.Reason.BAD_SIGNATURE,
        assertThrows(PolicyRejected.class, () -> PolicyBundles.verify(forged, trusted, "global", 1)).reason());
  }

  @Test
  void malformedAndOversizedBundlesAreRefusedUnread() {
    assertEquals(PolicyRejected.Reason.MALFORMED,
        assertThrows(PolicyRejected.class, () -> PolicyBundles.decode("{nope".getBytes(StandardCharsets.UTF_8))).reason());
    assertEquals(PolicyRejected.Reason.OVERSIZED,
        assertThrows(PolicyRejected.class, () -> PolicyBundles.decode(new byte[PolicyBundles.MAX_BUNDLE_BYTES + 1])).reason());
  }

  @Test
  void keysRoundTripThroughTheirTextForm() throws Exception {
    var pub = PolicyBundles.decodePublic(PolicyBundles.encodePublic(pair.getPublic()));
    var priv = PolicyBundles.decodePrivate(PolicyBundles.encodePrivate(pair.getPrivate()), pub);
    assertEquals(key.keyId(), priv.keyId());
    PolicyBundles.verify(PolicyBundles.sign("global", 1, "a", 1, List.of(), Map.of(), priv), trusted, "global", 1);
  }

  @Test
  void aGatewayScopeRuleReplacesTheGlobalRuleOfTheSameNameAndParametersMerge() throws Exception {
    String replacement = RULE.replace("temperatureC > 70", "temperatureC > 60").replace("package p", "package q");
    PolicyBundle global = PolicyBundles.sign("global", 2, "a", 1, List.of(new PolicyBundle.RuleFile("hot.drl", RULE),
        new PolicyBundle.RuleFile("other.drl", RULE.replace("Hot device raises an alert", "Another rule"))),
        Map.of("x", PolicyBundle.Param.infer("1"), "y", PolicyBundle.Param.infer("2")), key);
    PolicyBundle mine = PolicyBundles.sign("gw.gw-1", 1, "a", 1, List.of(new PolicyBundle.RuleFile("mine.drl",
        replacement)), Map.of("y", PolicyBundle.Param.infer("20")), key);
    EffectivePolicy p = EffectivePolicy.compose(global, "gw.gw-1", mine);
    assertEquals("global v2 + gw.gw-1 v1", p.label());
    assertEquals(Map.of("x", "1", "y", "20"), p.parameters());
    RuleSet set = RuleSet.compile(p.label(), p.sources());
    assertEquals(List.of("Another rule", "Hot device raises an alert"), set.ruleNames());
    String globalHot = p.sources().stream().filter(s -> s.fileName().equals("hot.drl")).findFirst().orElseThrow().drl();
    assertFalse(globalHot.contains("rule \""), "the global rule is blanked out");
    assertEquals(RULE.split("\n").length, globalHot.split("\n", -1).length - 1, "lines are kept");
    assertTrue(EffectivePolicy.compose(null, "gw.gw-1", null).label().equals("global v0"));
  }
}
