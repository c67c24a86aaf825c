package io.fogwise.gateway.store;

import io.fogwise.gateway.core.store.DesiredSnapshot;
import io.fogwise.gateway.core.store.DesiredStore;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.MessageCodec;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.util.Optional;

/**
 * {@link DesiredStore} in a JetStream KV bucket: key {@value #KEY} holds the whole snapshot,
 * {@code policy.<scope>} the bundle each scope runs, and {@code state.corrupt.<millis>} a
 * snapshot that did not parse, set aside.
 */
public final class KvDesiredStore implements DesiredStore {
  static final String KEY = "state";
  static final String CORRUPT_PREFIX = "state.corrupt.";
  static final String POLICY_PREFIX = "policy.";

  private final KeyValue kv;
  private final String bucket;

  private KvDesiredStore(KeyValue kv, String bucket) {
    this.kv = kv;
    this.bucket = bucket;
  }

  public static KvDesiredStore open(Connection nats, String gatewayId) throws Exception {
    return new KvDesiredStore(bucket(nats, gatewayId), Subjects.desiredBucket(gatewayId));
  }

  /**
   * The gateway's own bucket {@code fw-desired-<gatewayId>}, created if missing: its durable
   * state and, key {@code lease}, the lease on its id (which an ephemeral gateway holds too).
   */
  public static KeyValue bucket(Connection nats, String gatewayId) throws Exception {
    String bucket = Subjects.desiredBucket(gatewayId);
    io.fogwise.protocol.Buckets.ensure(nats, io.fogwise.protocol.Buckets.desired(gatewayId));
    return nats.keyValue(bucket);
  }

  @Override
  public Loaded load() throws Exception {
    KeyValueEntry e = kv.get(KEY);
    if (e == null || e.getOperation() != KeyValueOperation.PUT || e.getValue() == null || e.getValue().length == 0) {
      return Loaded.NOTHING;
    }
    try {
      return new Loaded(Optional.of(MessageCodec.mapper().readValue(e.getValue(), DesiredSnapshot.class)),
          Optional.empty());
    } catch (IOException | RuntimeException ex) {
      String why = String.valueOf(ex.getMessage()).lines().findFirst().orElse("");
      String aside = CORRUPT_PREFIX + System.currentTimeMillis();
      String where;
      try {
        kv.put(aside, e.getValue());
        // The junk stays readable under its own key; the snapshot key starts empty.
        kv.delete(KEY);
        where = "copied to key " + aside;
      } catch (Exception copy) {
        where = "could not be copied aside (" + copy.getMessage() + ") and stays under key " + KEY + " until the next"
            + " save";
      }
      return new Loaded(Optional.empty(), Optional.of("the durable state in KV bucket " + bucket + " key " + KEY
          + " (revision " + e.getRevision() + ", " + e.getValue().length + " bytes) does not parse (" + why
          + "); it was " + where + " and the gateway started without it"));
    }
  }

  @Override
  public void save(DesiredSnapshot snapshot) throws Exception {
    kv.put(KEY, MessageCodec.mapper().writeValueAsBytes(snapshot));
  }

  @Override
  public void savePolicy(String scope, byte[] bundle) throws Exception {
    if (bundle == null) {
      kv.delete(POLICY_PREFIX + scope);
    } else {
      kv.put(POLICY_PREFIX + scope, bundle);
    }
  }

  @Override
  public Optional<byte[]> loadPolicy(String scope) throws Exception {
    KeyValueEntry e = kv.get(POLICY_PREFIX + scope);
    return e == null || e.getOperation() != KeyValueOperation.PUT || e.getValue() == null
        ? Optional.empty() : Optional.of(e.getValue());
  }
}
