package io.fogwise.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.rules.host.RuleArtifactException;
import io.fogwise.rules.host.RuleSet;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Signed compiled artifacts: a gateway loads only what a trusted key compiled from its own sources. */
class PolicyArtifactsTest {
  private static final KeyPair PAIR = PolicyBundles.generateKeyPair();
  private static final PolicyBundles.SigningKey KEY =
      new PolicyBundles.SigningKey(PolicyBundles.keyId(PAIR.getPublic()), PAIR.getPrivate());
  private static final TrustedKeys TRUSTED = TrustedKeys.of(PAIR.getPublic());
  /** One rule that compiles and passes the sandbox. */
  static final String RULE = """
      package site
      import io.fogwise.rules.model.Device
      global io.fogwise.rules.Actions actions
      rule "Hot device"
      when
          $d : Device( temperatureC != null, temperatureC > 70.0 )
      then
          actions.alert("device " + $d.getId() + " is hot");
      end
      """;
  private static EffectivePolicy policy;
  private static PolicyArtifacts.Built built;

  @BeforeAll
  static void build() throws Exception {
    PolicyBundle global = PolicyBundles.sign("global", 1, "alice", 1000, List.of(new PolicyBundle.RuleFile("hot.drl",
        RULE)), Map.of(), KEY);
    policy = EffectivePolicy.compose(global, "gw.gw-1", null);
    built = PolicyArtifacts.build(policy, "ci", 2000, KEY);
  }

  @Test
  void roundTripLoadsTheSameRules() throws Exception {
    PolicyArtifact decoded = PolicyArtifacts.decode(PolicyArtifacts.encode(built.artifact()));
    RuleSet loaded = PolicyArtifacts.load(decoded, TRUSTED, policy);
    assertEquals(built.rules().ruleNames(), loaded.ruleNames());
    assertEquals(List.of("Hot device"), loaded.ruleNames());
    assertEquals(policy.label(), loaded.label());
    assertEquals(PolicyArtifacts.sourcesSha256(policy.sources()), decoded.sourcesSha256());
  }

  @Test
  void sourcesHashIgnoresParametersButNotText() {
    PolicyBundle withParams = PolicyBundles.sign("global", 2, "bob", 1, List.of(new PolicyBundle.RuleFile("hot.drl",
        RULE)), Map.of("x", PolicyBundle.Param.infer("1")), KEY);
    PolicyBundle otherText = PolicyBundles.sign("global", 3, "bob", 1, List.of(new PolicyBundle.RuleFile("hot.drl",
        RULE.replace("70.0", "71.0"))), Map.of(), KEY);
    String base = PolicyArtifacts.sourcesSha256(policy.sources());
    assertEquals(base, PolicyArtifacts.sourcesSha256(EffectivePolicy.compose(withParams, "gw.a", null).sources()));
    assertNotEquals(base, PolicyArtifacts.sourcesSha256(EffectivePolicy.compose(otherText, "gw.a", null).sources()));
  }

  @Test
  void refusesAnUntrustedKey() {
    KeyPair other = PolicyBundles.generateKeyPair();
    assertRefused(TrustedKeys.of(other.getPublic()), built.artifact(), "not trusted");
  }

  @Test
  void refusesTamperedFields() {
    assertRefused(TRUSTED, with(a -> copy(a, a.runtime(), a.label() + "!", a.payload(), a.payloadSha256())),
        "does not verify");
    assertRefused(TRUSTED, with(a -> copy(a, "drools-9.0.0/0000000000000000", a.label(), a.payload(),
        a.payloadSha256())), "does not verify");
  }

  @Test
  void refusesATamperedPayload() {
    String p = built.artifact().payload();
    String flipped = (p.charAt(10) == 'A' ? "B" : "A");
    assertRefused(TRUSTED, with(a -> copy(a, a.runtime(), a.label(), p.substring(0, 10) + flipped + p.substring(11),
        a.payloadSha256())), "tampered");
  }

  @Test
  void refusesAnotherRuntimeEvenWhenSigned() {
    PolicyArtifact a = built.artifact();
    PolicyArtifact resigned = resign(copy(a, "drools-9.44.0/0123456789abcdef", a.label(), a.payload(),
        a.payloadSha256()));
    assertRefused(TRUSTED, resigned, "compiled for runtime drools-9.44.0");
  }

  @Test
  void refusesAnArtifactOfOtherSources() throws Exception {
    PolicyBundle other = PolicyBundles.sign("global", 4, "bob", 1, List.of(new PolicyBundle.RuleFile("hot.drl",
        RULE.replace("70.0", "75.0"))), Map.of(), KEY);
    RuleArtifactException e = assertThrows(RuleArtifactException.class,
        () -> PolicyArtifacts.load(built.artifact(), TRUSTED, EffectivePolicy.compose(other, "gw.a", null)));
    assertTrue(e.getMessage().contains("compiled from other sources"), e.getMessage());
  }

  @Test
  void refusesMalformedBytes() {
    assertThrows(RuleArtifactException.class, () -> PolicyArtifacts.decode("{\"format\":1".getBytes()));
    assertThrows(RuleArtifactException.class, () -> PolicyArtifacts.decode(new byte[0]));
  }

  private static void assertRefused(TrustedKeys trusted, PolicyArtifact a, String expected) {
    RuleArtifactException e = assertThrows(RuleArtifactException.class, () -> PolicyArtifacts.load(a, trusted, policy));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static PolicyArtifact with(UnaryOperator<PolicyArtifact> change) {
    return change.apply(built.artifact());
  }

  private static PolicyArtifact copy(PolicyArtifact a, String runtime, String label, String payload,
      String payloadSha256) {
    return new PolicyArtifact(a.format(), runtime, a.sourcesSha256(), label, a.compiledBy(), a.compiledAtMillis(),
        a.compileMillis(), payloadSha256, payload, a.keyId(), a.signature());
  }

  private static PolicyArtifact resign(PolicyArtifact a) {
    return new PolicyArtifact(a.format(), a.runtime(), a.sourcesSha256(), a.label(), a.compiledBy(),
        a.compiledAtMillis(), a.compileMillis(), a.payloadSha256(), a.payload(), a.keyId(),
        PolicyBundles.sign(PolicyArtifacts.canonical(a), KEY));
  }
}
