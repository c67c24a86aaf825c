package io.fogwise.cloud.publish;

import io.fogwise.policy.PolicyBundle;
import java.util.List;
import java.util.Objects;

/**
 * A bundle the cloud miner proposes for one scope, signed with the cloud key and waiting for an
 * operator's {@code fogwise rules approve}. It is published exactly as stored, and only while the
 * scope's live version is still {@code baseVersion}.
 *
 * @param scope the scope, {@code global}
 * @param baseVersion the live version it was built on (0 = the built-in packs)
 * @param createdAtMillis when the miner proposed it
 * @param fromMillis start of the data window mined
 * @param toMillis end of the data window mined
 * @param findings what the pass found, one line each (support, confidence, ...)
 * @param artifacts the effective rule sets compiled and stored as signed artifacts when it was proposed
 * @param bundle the signed bundle, version {@code baseVersion + 1} or above
 */
public record Candidate(String scope, long baseVersion, long createdAtMillis, long fromMillis, long toMillis,
    List<String> findings, List<String> artifacts, PolicyBundle bundle) {

  public Candidate {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(bundle, "bundle");
    findings = findings == null ? List.of() : List.copyOf(findings);
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    if (!scope.equals(bundle.scope())) {
      throw new IllegalArgumentException("candidate for " + scope + " holds a bundle of scope " + bundle.scope());
    }
    if (baseVersion < 0 || bundle.version() <= baseVersion) {
      throw new IllegalArgumentException("candidate " + bundle.label() + " must be above its base version v"
          + baseVersion);
    }
  }

  /** {@code global v3 (base v2)}. */
  public String describe() {
    return bundle.label() + " (base v" + baseVersion + ")";
  }
}
