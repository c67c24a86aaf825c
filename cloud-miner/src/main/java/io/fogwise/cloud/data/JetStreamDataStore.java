package io.fogwise.cloud.data;

import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.NUID;
import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.ObjectInfo;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DataStore} in JetStream: one KV entry per item ({@link StoredItem}: metadata and the
 * content, or a pointer to an object of the object store for large items). Versions come from
 * the previous entry, and every write is a compare-and-set on the KV revision it was computed
 * from, so two writers of one key never both win with the same version.
 */
final class JetStreamDataStore implements DataStore {
  /** The KV bucket's value limit: nats-server's default {@code max_payload}, since a value is one message. */
  static final int KV_MAX_VALUE_BYTES = 1024 * 1024;
  /**
   * Two revisions per key: the current one and, after a delete, the delete marker with the last
   * version before it, so a key put again after a delete continues its versions rather than
   * starting at 1 again (a gateway never sees a version go backwards).
   */
  static final int HISTORY = 2;
  /** Compare-and-set attempts before a put gives up under contention (each attempt is a few round trips). */
  static final int MAX_ATTEMPTS = 64;
  /** How long a change may take to leave for NATS before the writer is told it may not be announced. */
  static final Duration ANNOUNCE_TIMEOUT = Duration.ofSeconds(5);

  private static final Logger LOG = LoggerFactory.getLogger(JetStreamDataStore.class);
  /** JetStream's "wrong last sequence": a compare-and-set against a revision that moved on. */
  private static final int WRONG_LAST_SEQUENCE = 10071;
  /** JetStream's "stream not found": no bucket yet. */
  private static final int STREAM_NOT_FOUND = 10059;

  private final Connection nats;
  private final KeyValue kv;
  private final ObjectStore objects;
  private final DataLimits limits;
  private final Clock clock;

  private JetStreamDataStore(Connection nats, KeyValue kv, ObjectStore objects, DataLimits limits, Clock clock) {
    this.nats = nats;
    this.kv = kv;
    this.objects = objects;
    this.limits = limits;
    this.clock = clock;
  }

  static JetStreamDataStore open(Connection nats, DataLimits limits, Clock clock) {
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(clock, "clock");
    try {
      KeyValueManagement kvm = nats.keyValueManagement();
      try {
        kvm.getBucketInfo(Subjects.CLOUD_DATA_BUCKET);
      } catch (JetStreamApiException e) {
        if (!notFound(e)) {
          throw e;
        }
        // Creating with an identical configuration is idempotent, so two racing creators both succeed.
        kvm.create(KeyValueConfiguration.builder()
            .name(Subjects.CLOUD_DATA_BUCKET)
            .description("Fogwise cloud data: one entry per item (metadata, and the value or its object's name)")
            .maxHistoryPerKey(HISTORY)
            .storageType(StorageType.File)
            .maximumValueSize(KV_MAX_VALUE_BYTES)
            .build());
        LOG.info("created the cloud data bucket {}", Subjects.CLOUD_DATA_BUCKET);
      }
      ObjectStoreManagement osm = nats.objectStoreManagement();
      try {
        osm.getStatus(Subjects.CLOUD_OBJECT_STORE);
      } catch (JetStreamApiException e) {
        if (!notFound(e)) {
          throw e;
        }
        osm.create(ObjectStoreConfiguration.builder(Subjects.CLOUD_OBJECT_STORE)
            .description("Fogwise cloud data items over the inline limit, one object per version")
            .storageType(StorageType.File)
            .build());
        LOG.info("created the cloud object store {}", Subjects.CLOUD_OBJECT_STORE);
      }
      return new JetStreamDataStore(nats, nats.keyValue(Subjects.CLOUD_DATA_BUCKET),
          nats.objectStore(Subjects.CLOUD_OBJECT_STORE), limits, clock);
    } catch (IOException | JetStreamApiException e) {
      throw new UncheckedIOException("cannot open the cloud data store (KV " + Subjects.CLOUD_DATA_BUCKET
          + ", object store " + Subjects.CLOUD_OBJECT_STORE + ") on NATS " + nats.getConnectedUrl()
          + " (is JetStream enabled on the server?): " + e.getMessage(), io(e));
    }
  }

  @Override
  public DataLimits limits() {
    return limits;
  }

  @Override
  public DataItem put(String key, String contentType, byte[] value) {
    DataItem.key(key, "key");
    Objects.requireNonNull(value, "value");
    new DataItem(key, 1, contentType, 0, new byte[0]); // checks the content type before anything is written
    DataLimits.Placement placement = limits.placement(key, value.length);
    for (int attempt = 1; ; attempt++) {
      Current current = current(key);
      long version = current.lastVersion() + 1;
      long at = clock.wallMillis();
      String object = null;
      StoredItem stored;
      if (placement == DataLimits.Placement.OBJECT_STORE) {
        // A name of its own per attempt: two writers of one key never overwrite each other's object.
        object = key + "@v" + version + "-" + NUID.nextGlobal();
        writeObject(object, value);
        stored = StoredItem.inObject(key, version, contentType, at, value, object);
      } else {
        stored = StoredItem.inline(key, version, contentType, at, value);
      }
      try {
        kv.update(key, MessageCodec.encode(stored), current.revision());
      } catch (JetStreamApiException e) {
        deleteObjectQuietly(object);
        if (e.getApiErrorCode() != WRONG_LAST_SEQUENCE) {
          throw failure("write item '" + key + "'", e);
        }
        if (attempt >= MAX_ATTEMPTS) {
          throw new IllegalStateException("item '" + key + "' was changed by other writers " + MAX_ATTEMPTS
              + " times while this put tried to store it; nothing was stored, try again");
        }
        LOG.debug("item '{}' changed while being put (attempt {}); trying again", key, attempt);
        continue;
      } catch (IOException | RuntimeException e) {
        deleteObjectQuietly(object);
        throw e instanceof RuntimeException r ? r : failure("write item '" + key + "'", e);
      }
      if (current.item() != null) {
        deleteObjectQuietly(current.item().object());
      }
      announce(new DataChange(key, version, DataChange.Op.PUT, at));
      return stored.item(value);
    }
  }

  @Override
  public Optional<DataItem> get(String key, long maxBytes) {
    DataItem.key(key, "key");
    long missingAt = -1;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      KeyValueEntry e = entry(key);
      if (e == null) {
        return Optional.empty();
      }
      StoredItem stored = decode(e);
      if (stored.size() > maxBytes) {
        throw new ItemTooLargeException(key, stored.size(), maxBytes);
      }
      if (stored.value() != null) {
        return Optional.of(stored.item(stored.value()));
      }
      byte[] content = readObject(stored.object());
      if (content == null) {
        if (missingAt == e.getRevision()) {
          throw new IllegalStateException("item '" + key + "' v" + stored.version() + " points to object '"
              + stored.object() + "', which is missing from " + Subjects.CLOUD_OBJECT_STORE + "; put the item again");
        }
        // Most likely a newer version replaced it since the entry was read: read the entry again.
        missingAt = e.getRevision();
        continue;
      }
      if (!stored.matches(content)) {
        throw new IllegalStateException("object '" + stored.object() + "' of item '" + key + "' v" + stored.version()
            + " is not the content its entry describes (size or SHA-256 differ); put the item again");
      }
      return Optional.of(stored.item(content));
    }
    throw new IllegalStateException("item '" + key + "' kept changing while it was read; try again");
  }

  @Override
  public List<ItemInfo> list() {
    List<String> keys;
    try {
      keys = kv.keys();
    } catch (IOException | JetStreamApiException | InterruptedException e) {
      throw failure("list the items", e);
    }
    List<ItemInfo> items = new ArrayList<>(keys.size());
    for (String key : keys) {
      KeyValueEntry e = entry(key);
      if (e == null) {
        continue; // deleted since the keys were read
      }
      try {
        items.add(decode(e).info());
      } catch (IllegalStateException bad) {
        LOG.warn("{}", bad.getMessage());
      }
    }
    items.sort(Comparator.comparing(ItemInfo::key));
    return items;
  }

  @Override
  public Optional<DataChange> delete(String key) {
    DataItem.key(key, "key");
    for (int attempt = 1; ; attempt++) {
      KeyValueEntry e = entry(key);
      if (e == null) {
        return Optional.empty();
      }
      StoredItem stored = decodeOrNull(e);
      try {
        kv.delete(key, e.getRevision());
      } catch (JetStreamApiException ex) {
        if (ex.getApiErrorCode() != WRONG_LAST_SEQUENCE) {
          throw failure("delete item '" + key + "'", ex);
        }
        if (attempt >= MAX_ATTEMPTS) {
          throw new IllegalStateException("item '" + key + "' was changed by other writers " + MAX_ATTEMPTS
              + " times while this delete tried to remove it; try again");
        }
        continue;
      } catch (IOException ex) {
        throw failure("delete item '" + key + "'", ex);
      }
      if (stored != null) {
        deleteObjectQuietly(stored.object());
      }
      DataChange change = new DataChange(key, stored == null ? 0 : stored.version(), DataChange.Op.DELETE,
          clock.wallMillis());
      announce(change);
      return Optional.of(change);
    }
  }

  /** The entry a put builds on: its revision (0 = the key never existed) and the last version. */
  private record Current(long revision, StoredItem item, long lastVersion) {}

  private Current current(String key) {
    KeyValueEntry e = entry(key);
    if (e != null) {
      StoredItem item = decodeOrNull(e);
      return new Current(e.getRevision(), item, item == null ? 0 : item.version());
    }
    // Absent or deleted: the history holds the delete marker (whose revision the put must build
    // on) and the version before it.
    List<KeyValueEntry> history;
    try {
      history = kv.history(key);
    } catch (IOException | JetStreamApiException | InterruptedException ex) {
      throw failure("read the history of item '" + key + "'", ex);
    }
    if (history.isEmpty()) {
      return new Current(0, null, 0);
    }
    long lastVersion = 0;
    for (KeyValueEntry h : history) {
      if (h.getOperation() == KeyValueOperation.PUT) {
        StoredItem item = decodeOrNull(h);
        lastVersion = Math.max(lastVersion, item == null ? 0 : item.version());
      }
    }
    KeyValueEntry last = history.get(history.size() - 1);
    StoredItem item = last.getOperation() == KeyValueOperation.PUT ? decodeOrNull(last) : null;
    return new Current(last.getRevision(), item, lastVersion);
  }

  /** The key's current entry, or null when there is none or it was deleted. */
  private KeyValueEntry entry(String key) {
    try {
      KeyValueEntry e = kv.get(key);
      return e == null || e.getOperation() != KeyValueOperation.PUT ? null : e;
    } catch (IOException | JetStreamApiException e) {
      throw failure("read item '" + key + "'", e);
    }
  }

  private static StoredItem decode(KeyValueEntry e) {
    try {
      return MessageCodec.decode(e.getValue(), StoredItem.class, KV_MAX_VALUE_BYTES);
    } catch (RejectedMessageException ex) {
      throw new IllegalStateException("the entry of '" + e.getKey() + "' in " + Subjects.CLOUD_DATA_BUCKET
          + " was not written by the cloud service (" + ex.getMessage() + "); delete it or put the item again");
    }
  }

  private static StoredItem decodeOrNull(KeyValueEntry e) {
    try {
      return decode(e);
    } catch (IllegalStateException ex) {
      LOG.warn("{}", ex.getMessage());
      return null;
    }
  }

  private void writeObject(String name, byte[] content) {
    try {
      objects.put(name, new ByteArrayInputStream(content));
    } catch (IOException | JetStreamApiException | NoSuchAlgorithmException e) {
      throw failure("write object '" + name + "'", e);
    }
  }

  /** The object's content, or null when it is not there (deleted, or being deleted). */
  private byte[] readObject(String name) {
    try {
      ObjectInfo info = objects.getInfo(name);
      if (info == null || info.isDeleted()) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(info.getSize(), Integer.MAX_VALUE - 8));
      objects.get(name, out);
      return out.toByteArray();
    } catch (JetStreamApiException | IllegalStateException | IllegalArgumentException e) {
      LOG.debug("object '{}' could not be read: {}", name, e.toString());
      return null; // deleted while being read; the caller reads the entry again
    } catch (IOException | NoSuchAlgorithmException | InterruptedException e) {
      throw failure("read object '" + name + "'", e);
    }
  }

  private void deleteObjectQuietly(String name) {
    if (name == null) {
      return;
    }
    try {
      objects.delete(name);
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      // Only space is lost: nothing points to the object any more.
      LOG.warn("could not delete object '{}' from {} (no item points to it any more): {}", name,
          Subjects.CLOUD_OBJECT_STORE, e.getMessage());
    }
  }

  /** Publishes a change and waits until it has left for NATS, so a writer that returns has announced it. */
  private void announce(DataChange change) {
    nats.publish(Subjects.CLOUD_DATA_CHANGES, MessageCodec.encode(change));
    try {
      nats.flush(ANNOUNCE_TIMEOUT);
    } catch (TimeoutException e) {
      LOG.warn("item '{}' v{} is stored, but its {} announcement on {} may not have reached NATS within {} s;"
          + " gateways refresh it when their copy expires", change.key(), change.version(), change.op(),
          Subjects.CLOUD_DATA_CHANGES, ANNOUNCE_TIMEOUT.toSeconds());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private UncheckedIOException failure(String what, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new UncheckedIOException("cannot " + what + " in the cloud data store on NATS " + url() + ": "
        + e.getMessage(), io(e));
  }

  private String url() {
    String url = nats.getConnectedUrl();
    return url == null ? "(disconnected)" : url;
  }

  private static boolean notFound(JetStreamApiException e) {
    return e.getApiErrorCode() == STREAM_NOT_FOUND || e.getErrorCode() == 404;
  }

  private static IOException io(Exception e) {
    if (e instanceof IOException io) {
      return io;
    }
    if (e instanceof InterruptedException) {
      return new InterruptedIOException(e.getMessage());
    }
    return new IOException(e);
  }
}
