package io.fogwise.gateway;

import io.fogwise.gateway.policy.PolicyManager;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyStore;
import io.fogwise.policy.TrustedKeys;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;

/**
 * A gateway that trusts one signing key, the policy store, and the gateway's policy outcomes as
 * an independent subscriber receives them: what every policy IT starts from.
 */
abstract class PolicyItBase extends GatewayItBase {
  static final KeyPair PAIR = PolicyBundles.generateKeyPair();
  static final PolicyBundles.SigningKey KEY =
      new PolicyBundles.SigningKey(PolicyBundles.keyId(PAIR.getPublic()), PAIR.getPrivate());

  final List<PolicyOutcome> outcomes = new CopyOnWriteArrayList<>();
  PolicyStore store;

  /** The health gate the gateway applies pushed policy with. */
  abstract PolicyManager.Settings policySettings();

  @Override
  GatewayConfig.Builder config() {
    return super.config().trustedKeys(TrustedKeys.of(PAIR.getPublic())).policy(policySettings());
  }

  @BeforeEach
  void listenForOutcomes() throws Exception {
    client.createDispatcher(m -> {
      try {
        outcomes.add(MessageCodec.decode(m.getData(), PolicyOutcome.class));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }).subscribe(Subjects.policyOutcomes(GW));
    client.flush(Duration.ofSeconds(2));
    store = PolicyStore.open(client);
  }
}
