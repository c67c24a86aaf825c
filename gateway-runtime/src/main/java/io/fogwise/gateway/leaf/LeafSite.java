package io.fogwise.gateway.leaf;

import io.fogwise.protocol.Buckets;
import io.fogwise.protocol.HistoryStreams;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.Mirror;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * What a gateway keeps in its own leaf node's JetStream domain, so its site runs on while the
 * cloud is unreachable and a gateway restarted during an outage resumes: its desired state and
 * id lease, its cache's warm start, the epochs it issues (read by the site's subscribers),
 * mirrors of the cloud's policy buckets (the last policy it applied, and every version pushed
 * during an outage once the link returns), and the site's history streams that the cloud
 * sources ({@link HistoryStreams}).
 *
 * <p>The gateway creates all of it on the leaf node it is connected to, where its credentials
 * allow creating streams of exactly these names ({@code Permissions.siteStreams}); the leaf
 * link's permissions at the hub bound what any stream on a site can capture from the cloud.
 */
public final class LeafSite {
  private LeafSite() {}

  /** The buckets a gateway keeps on its leaf node (its own, and the site's epochs). */
  public static List<KeyValueConfiguration> localBuckets(String gatewayId) {
    return List.of(Buckets.desired(gatewayId), Buckets.cache(gatewayId), Buckets.epochs());
  }

  /** Mirrors of the cloud's policy buckets, read by the gateway under the same names. */
  public static List<KeyValueConfiguration> policyMirrors() {
    return List.of(mirror(Buckets.policy()), mirror(Buckets.artifacts()));
  }

  private static KeyValueConfiguration mirror(KeyValueConfiguration origin) {
    KeyValueConfiguration.Builder b = KeyValueConfiguration.builder().name(origin.getBucketName())
        .description("mirror of the cloud's " + origin.getBucketName())
        .maxHistoryPerKey((int) origin.getMaxHistoryPerKey()).storageType(StorageType.File)
        .maximumValueSize((int) origin.getMaximumValueSize())
        .mirror(Mirror.builder().sourceName(origin.getBucketName()).domain(Subjects.CLOUD_DOMAIN).build());
    if (origin.getTtl() != null && !origin.getTtl().isZero()) {
      b.ttl(origin.getTtl());
    }
    return b.build();
  }

  /**
   * Creates, on the leaf node {@code nats} is connected to, whatever of the site's buckets,
   * mirrors and streams is missing. Idempotent; a gateway calls it at every start.
   *
   * @throws IOException naming what could not be created
   */
  public static void ensure(Connection nats, String gatewayId) throws IOException {
    Objects.requireNonNull(nats, "nats");
    KeyValueManagement kvm = nats.keyValueManagement();
    JetStreamManagement jsm = nats.jetStreamManagement();
    for (KeyValueConfiguration c : localBuckets(gatewayId)) {
      ensure(kvm, c);
    }
    for (KeyValueConfiguration c : policyMirrors()) {
      ensure(kvm, c);
    }
    HistoryStreams.ensureSite(jsm, gatewayId);
  }

  private static void ensure(KeyValueManagement kvm, KeyValueConfiguration c) throws IOException {
    try {
      if (!Buckets.exists(kvm, c.getBucketName())) {
        kvm.create(c);
      }
    } catch (JetStreamApiException e) {
      throw new IOException("cannot create bucket " + c.getBucketName() + " on the leaf node: " + e.getMessage(), e);
    }
  }
}
