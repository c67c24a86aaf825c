package io.fogwise.policy;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Objects;

/**
 * An effective rule set compiled once (in the cloud, by the pusher) and signed, so that gateways
 * load it instead of compiling it. It is found by the SHA-256 of the sources it was compiled
 * from: a gateway composes its effective policy from verified bundles as always, hashes the
 * sources and looks the artifact up. An artifact is a cache, never a requirement: a gateway that
 * finds none, or one it cannot use, compiles the sources itself.
 *
 * @param format {@value PolicyArtifacts#FORMAT}
 * @param runtime the compiler's runtime fingerprint (Drools version, fact model); loads only where equal
 * @param sourcesSha256 hex SHA-256 of the sources (see {@link PolicyArtifacts#sourcesSha256})
 * @param label the effective policy it was compiled for, e.g. {@code global v3 + gw.gw-1 v1} (informational)
 * @param compiledBy who compiled it
 * @param compiledAtMillis wall time of compilation
 * @param compileMillis how long compiling took
 * @param payloadSha256 hex SHA-256 of the payload bytes
 * @param payload base64 of the compiled rule set (gzipped serialized packages)
 * @param keyId the signing key's id
 * @param signature base64 Ed25519 signature of the canonical content (everything but the signature)
 */
public record PolicyArtifact(String format, String runtime, String sourcesSha256, String label, String compiledBy,
    long compiledAtMillis, long compileMillis, String payloadSha256, String payload, String keyId, String signature) {

  public PolicyArtifact {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(sourcesSha256, "sourcesSha256");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(compiledBy, "compiledBy");
    Objects.requireNonNull(payloadSha256, "payloadSha256");
    Objects.requireNonNull(payload, "payload");
  }

  /** {@code artifact 3f2a9c01 (global v3)}. */
  @JsonIgnore
  public String describe() {
    return "artifact " + sourcesSha256.substring(0, Math.min(8, sourcesSha256.length())) + " (" + label + ")";
  }
}
