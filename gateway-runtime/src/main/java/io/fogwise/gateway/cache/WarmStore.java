package io.fogwise.gateway.cache;

import io.fogwise.protocol.Subjects;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.MessageCodec;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.StorageType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the cache keeps what it held across a restart: the keys it cached and, within a byte
 * bound, their values with the time they were loaded from the cloud. Called off the event loop
 * (blocking I/O).
 */
public interface WarmStore {

  /** One cached key as saved: its item (null when only the key was kept) and when it was loaded (wall clock). */
  record Saved(String key, DataItem item, long loadedAtMillis) {
    public Saved {
      DataItem.key(key, "key");
    }
  }

  /** What was saved, or nothing. */
  List<Saved> load() throws Exception;

  /** Replaces what was saved with {@code entries}. */
  void save(List<Saved> entries) throws Exception;

  /** Keeps nothing (an ephemeral gateway, tests). */
  static WarmStore none() {
    return NoWarmStore.INSTANCE;
  }

  /** The gateway's own KV bucket {@code fw-cache-<gatewayId>}, created when first used. */
  static WarmStore jetStream(Connection nats, String gatewayId) {
    return new KvWarmStore(Objects.requireNonNull(nats, "nats"), Objects.requireNonNull(gatewayId, "gatewayId"));
  }

  /** The bucket of {@link #jetStream}: {@code fw-cache-<gatewayId>}. */
  static String bucket(String gatewayId) {
    return Subjects.cacheBucket(gatewayId);
  }
}

final class NoWarmStore implements WarmStore {
  static final NoWarmStore INSTANCE = new NoWarmStore();

  @Override
  public List<Saved> load() {
    return List.of();
  }

  @Override
  public void save(List<Saved> entries) {}
}

/**
 * One KV key per cached item, {@code item.<key>}, holding {@code {"loadedAtMillis":..,"item":{..}}}
 * (no {@code item} when only the key is kept). Saving writes only what changed since the last
 * save and deletes what is no longer cached, so a save costs work proportional to change.
 */
final class KvWarmStore implements WarmStore {
  private static final Logger LOG = LoggerFactory.getLogger(KvWarmStore.class);
  static final String PREFIX = "item.";
  /** Room for the JSON around a value in one KV message (base64 grows the value by a third). */
  private static final int ENVELOPE = 1024;

  /** The stored form of one key. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Stored(long loadedAtMillis, DataItem item) {}

  private final Connection nats;
  private final String gatewayId;
  private final String bucket;
  private KeyValue kv;
  /** What the bucket holds, as of the last load or save: key → version and load time (0 version: key only). */
  private final Map<String, long[]> written = new HashMap<>();

  KvWarmStore(Connection nats, String gatewayId) {
    this.nats = nats;
    this.gatewayId = gatewayId;
    this.bucket = WarmStore.bucket(gatewayId);
  }

  private synchronized KeyValue kv() throws Exception {
    if (kv == null) {
      io.fogwise.protocol.Buckets.ensure(nats, io.fogwise.protocol.Buckets.cache(gatewayId));
      kv = nats.keyValue(bucket);
    }
    return kv;
  }

  @Override
  public synchronized List<Saved> load() throws Exception {
    KeyValue store = kv();
    List<Saved> out = new ArrayList<>();
    for (String k : store.keys()) {
      if (!k.startsWith(PREFIX)) {
        continue;
      }
      KeyValueEntry e = store.get(k);
      if (e == null || e.getOperation() != KeyValueOperation.PUT || e.getValue() == null) {
        continue;
      }
      try {
        Stored s = MessageCodec.mapper().readValue(e.getValue(), Stored.class);
        String key = k.substring(PREFIX.length());
        out.add(new Saved(key, s.item() != null && s.item().key().equals(key) ? s.item() : null, s.loadedAtMillis()));
        written.put(key, new long[] {s.item() == null ? 0 : s.item().version(), s.loadedAtMillis()});
      } catch (Exception bad) {
        // a warm start is an optimisation: an unreadable copy is dropped, the cloud has the item
        LOG.warn("cache warm start: KV {} key {} does not parse ({}); dropped", bucket, k, bad.getMessage());
        store.delete(k);
      }
    }
    return out;
  }

  @Override
  public synchronized void save(List<Saved> entries) throws Exception {
    KeyValue store = kv();
    long maxValue = nats.getServerInfo() == null ? 1 << 20 : nats.getServerInfo().getMaxPayload();
    Set<String> keep = new HashSet<>();
    for (Saved s : entries) {
      keep.add(s.key());
      DataItem item = s.item() != null && (long) s.item().value().length * 4 / 3 + ENVELOPE <= maxValue
          ? s.item() : null;
      long[] was = written.get(s.key());
      long version = item == null ? 0 : item.version();
      if (was != null && was[0] == version && was[1] == s.loadedAtMillis()) {
        continue;
      }
      store.put(PREFIX + s.key(), MessageCodec.mapper().writeValueAsBytes(new Stored(s.loadedAtMillis(), item)));
      written.put(s.key(), new long[] {version, s.loadedAtMillis()});
    }
    for (String gone : new ArrayList<>(written.keySet())) {
      if (!keep.contains(gone)) {
        store.delete(PREFIX + gone);
        written.remove(gone);
      }
    }
  }
}
