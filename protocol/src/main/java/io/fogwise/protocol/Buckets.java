package io.fogwise.protocol;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The configuration of every JetStream KV bucket Fogwise uses, in one place, and their
 * creation by a trusted party. Gateways may not create streams on a secure hub: nats-server does
 * not check a new stream's subjects against its creator's permissions, so a gateway allowed to
 * create "its" bucket could create a stream capturing another gateway's commands. The hub (and
 * {@code fogwise identity issue gateway}) creates the shared buckets and each issued gateway's
 * own; components create a missing bucket themselves only where they may (an insecure hub, the
 * operator, the cloud).
 */
public final class Buckets {
  /** Versions kept per policy key: the history {@code fogwise rules history} shows. */
  public static final int POLICY_HISTORY = 64;
  /** The largest policy bundle or compiled artifact. */
  public static final int POLICY_MAX_VALUE_BYTES = 1024 * 1024;
  /** How long a compiled artifact is kept: a cache, rebuilt by the next push. */
  public static final Duration ARTIFACT_TTL = Duration.ofDays(30);
  /** JetStream's error code for "stream not found". */
  private static final int STREAM_NOT_FOUND = 10059;

  private Buckets() {}

  /** {@code fw-desired-<gw>}: the gateway's desired services, placements and id lease. */
  public static KeyValueConfiguration desired(String gatewayId) {
    return KeyValueConfiguration.builder().name(Subjects.desiredBucket(gatewayId)).maxHistoryPerKey(8)
        .storageType(StorageType.File)
        .description("Fogwise gateway " + gatewayId + ": desired services and placements").build();
  }

  /** {@code fw-cache-<gw>}: the gateway's cache of cloud data, for a warm start. */
  public static KeyValueConfiguration cache(String gatewayId) {
    return KeyValueConfiguration.builder().name(Subjects.cacheBucket(gatewayId)).maxHistoryPerKey(1)
        .storageType(StorageType.File)
        .description("Fogwise gateway " + gatewayId + ": its cache of cloud data, for a warm start").build();
  }

  /** {@code fw-epochs}: the highest epoch each gateway issued per service. */
  public static KeyValueConfiguration epochs() {
    return KeyValueConfiguration.builder().name(Subjects.EPOCH_BUCKET).maxHistoryPerKey(1)
        .storageType(StorageType.File)
        .description("Fogwise: the highest epoch each gateway issued per service (<gatewayId>.<service>)").build();
  }

  /** {@code fw-rules}: signed policy bundles and the live pointer per scope. */
  public static KeyValueConfiguration policy() {
    return KeyValueConfiguration.builder().name(Subjects.POLICY_BUCKET)
        .description("Fogwise signed policy bundles (<scope>.v<N>) and live pointers (<scope>)")
        .maxHistoryPerKey(POLICY_HISTORY).storageType(StorageType.File).maximumValueSize(POLICY_MAX_VALUE_BYTES)
        .build();
  }

  /** {@code fw-rules-compiled}: signed compiled artifacts, a cache. */
  public static KeyValueConfiguration artifacts() {
    return KeyValueConfiguration.builder().name(Subjects.POLICY_ARTIFACT_BUCKET)
        .description("Fogwise compiled rule sets (art.<sha256 of the effective sources>), signed; a cache")
        .maxHistoryPerKey(1).ttl(ARTIFACT_TTL).storageType(StorageType.File)
        .maximumValueSize(POLICY_MAX_VALUE_BYTES).build();
  }

  /**
   * {@code fw-rules-candidates}: the cloud miner's proposed bundle per scope, waiting for review;
   * a newer pass replaces it, an approval removes it.
   */
  public static KeyValueConfiguration candidates() {
    return KeyValueConfiguration.builder().name(Subjects.POLICY_CANDIDATE_BUCKET)
        .description("Fogwise rule candidates from the cloud miner (<scope>), signed, waiting for 'fogwise rules approve'")
        .maxHistoryPerKey(8).storageType(StorageType.File).maximumValueSize(POLICY_MAX_VALUE_BYTES).build();
  }

  /** The buckets every gateway reads or writes a part of. */
  public static List<KeyValueConfiguration> shared() {
    return List.of(policy(), artifacts(), epochs());
  }

  /** One gateway's own buckets. */
  public static List<KeyValueConfiguration> ofGateway(String gatewayId) {
    return List.of(desired(gatewayId), cache(gatewayId));
  }

  /** Whether {@code bucket} exists, asked of its own stream (not a listing of every stream). */
  public static boolean exists(KeyValueManagement kvm, String bucket) throws IOException, JetStreamApiException {
    try {
      kvm.getStatus(bucket);
      return true;
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Creates {@code config}'s bucket unless it exists; a concurrent creator with the same
   * configuration is fine.
   *
   * @throws IOException naming the bucket when it neither exists nor can be created — on a secure
   *     hub, components other than the operator and the cloud may not create buckets, and the
   *     message says who does
   */
  public static void ensure(Connection nats, KeyValueConfiguration config) throws IOException {
    Objects.requireNonNull(config, "config");
    String bucket = config.getBucketName();
    try {
      KeyValueManagement kvm = nats.keyValueManagement();
      if (exists(kvm, bucket)) {
        return;
      }
      try {
        kvm.create(config);
      } catch (JetStreamApiException | IOException e) {
        if (!exists(kvm, bucket)) {
          throw new IOException("bucket " + bucket + " does not exist and cannot be created here (" + e.getMessage()
              + "); on a secure hub the hub creates it for every gateway issued in its identity home "
              + "('fogwise identity issue gateway <id>'), and the shared buckets at start", e);
        }
      }
    } catch (JetStreamApiException e) {
      throw new IOException("cannot look up bucket " + bucket + ": " + e.getMessage(), e);
    }
  }

  /** {@link #ensure}s each of {@code configs}. */
  public static void ensureAll(Connection nats, List<KeyValueConfiguration> configs) throws IOException {
    for (KeyValueConfiguration config : configs) {
      ensure(nats, config);
    }
  }
}
