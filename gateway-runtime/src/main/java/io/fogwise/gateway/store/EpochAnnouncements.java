package io.fogwise.gateway.store;

import io.fogwise.gateway.core.store.DesiredSnapshot;
import io.fogwise.gateway.core.store.DesiredStore;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.StorageType;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Announces the epochs a gateway issued, so subscribers accept only those: KV bucket
 * {@value Subjects#EPOCH_BUCKET}, key {@code <gatewayId>.<service>}, value the highest epoch
 * issued for the service as decimal text. Announced whenever the durable snapshot is saved —
 * which happens before the commands of a decision go out — so an instance never sends with an
 * epoch its subscribers cannot look up. A failed announcement is retried with the next save; a
 * deleted bucket is created again and every epoch announced again.
 */
public final class EpochAnnouncements {
  private final Connection nats;
  private final String gatewayId;
  private final Map<String, Long> announced = new HashMap<>();
  private KeyValue kv;

  private EpochAnnouncements(Connection nats, String gatewayId) {
    this.nats = nats;
    this.gatewayId = gatewayId;
  }

  /** Announcements of {@code gatewayId} on {@code nats} (the bucket is opened on first use). */
  public static EpochAnnouncements of(Connection nats, String gatewayId) {
    Subjects.epochKey(gatewayId, "probe");
    return new EpochAnnouncements(nats, gatewayId);
  }

  /** Announces every epoch of {@code epochs} that changed since the last announcement. */
  public synchronized void announce(Map<String, Long> epochs) throws Exception {
    try {
      KeyValue b = bucket();
      for (Map.Entry<String, Long> e : epochs.entrySet()) {
        if (!e.getValue().equals(announced.get(e.getKey()))) {
          b.put(Subjects.epochKey(gatewayId, e.getKey()), Long.toString(e.getValue()).getBytes(StandardCharsets.US_ASCII));
          announced.put(e.getKey(), e.getValue());
        }
      }
    } catch (Exception e) {
      // The bucket may be gone: open (and create) it again and announce everything next time.
      kv = null;
      announced.clear();
      throw e;
    }
  }

  /** The epochs announced before, per service (to resume epoch counters when state was lost). */
  public synchronized Map<String, Long> issued() throws Exception {
    KeyValue b = bucket();
    Map<String, Long> m = new TreeMap<>();
    String prefix = gatewayId + ".";
    for (String key : b.keys(prefix + "*")) {
      KeyValueEntry e = b.get(key);
      if (e != null && e.getOperation() == KeyValueOperation.PUT && e.getValue() != null) {
        String text = new String(e.getValue(), StandardCharsets.US_ASCII).trim();
        if (text.matches("[0-9]{1,18}")) {
          m.put(key.substring(prefix.length()), Long.parseLong(text));
        }
      }
    }
    return m;
  }

  /** {@code inner}, announcing the snapshot's epochs before each save. */
  public DesiredStore announcingBefore(DesiredStore inner) {
    return new DesiredStore() {
      @Override
      public Loaded load() throws Exception {
        return inner.load();
      }

      @Override
      public void save(DesiredSnapshot snapshot) throws Exception {
        Exception failed = null;
        try {
          announce(snapshot.epochs());
        } catch (Exception e) {
          failed = e;
        }
        inner.save(snapshot);
        if (failed != null) {
          throw new IllegalStateException("epochs not announced in KV " + Subjects.EPOCH_BUCKET + " (retried with the"
              + " next save): " + failed.getMessage(), failed);
        }
      }

      @Override
      public void savePolicy(String scope, byte[] bundle) throws Exception {
        inner.savePolicy(scope, bundle);
      }

      @Override
      public Optional<byte[]> loadPolicy(String scope) throws Exception {
        return inner.loadPolicy(scope);
      }
    };
  }

  private KeyValue bucket() throws Exception {
    if (kv == null) {
      io.fogwise.protocol.Buckets.ensure(nats, io.fogwise.protocol.Buckets.epochs());
      kv = nats.keyValue(Subjects.EPOCH_BUCKET);
    }
    return kv;
  }
}
