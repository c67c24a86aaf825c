package io.fogwise.gateway.store;

import io.fogwise.gateway.core.store.DesiredSnapshot;
import io.fogwise.gateway.core.store.DesiredStore;
import io.fogwise.protocol.MessageCodec;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.util.Optional;

/** {@link DesiredStore} in a JetStream KV bucket, one key holding the whole snapshot. */
/** The gateway's durable state in the JetStream KV bucket {@code fw-desired-<gatewayId>}. */
public final class KvDesiredStore implements DesiredStore {
  static final String KEY = "state";

  private final KeyValue kv;
  private final String bucket;

  private KvDesiredStore(KeyValue kv, String bucket) {
    this.kv = kv;
    this.bucket = bucket;
  }

  public static KvDesiredStore open(Connection nats, String gatewayId) throws Exception {
    String bucket = "fw-desired-" + gatewayId;
    KeyValueManagement kvm = nats.keyValueManagement();
    if (!kvm.getBucketNames().contains(bucket)) {
      kvm.create(KeyValueConfiguration.builder().name(bucket).maxHistoryPerKey(8).storageType(StorageType.File)
          .description("Fogwise gateway " + gatewayId + ": desired services and placements").build());
    }
    return new KvDesiredStore(nats.keyValue(bucket), bucket);
  }

  @Override
  public Optional<DesiredSnapshot> load() throws Exception {
    KeyValueEntry e = kv.get(KEY);
    if (e == null || e.getValue() == null || e.getValue().length == 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(MessageCodec.mapper().readValue(e.getValue(), DesiredSnapshot.class));
    } catch (IOException ex) {
      throw new IOException("the snapshot in KV bucket " + bucket + " key " + KEY + " (revision " + e.getRevision()
          + ") is unreadable: " + ex.getMessage(), ex);
    }
  }

  @Override
  public void save(DesiredSnapshot snapshot) throws Exception {
    kv.put(KEY, MessageCodec.mapper().writeValueAsBytes(snapshot));
  }
}
