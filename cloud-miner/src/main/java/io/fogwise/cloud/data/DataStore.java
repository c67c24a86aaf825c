package io.fogwise.cloud.data;

import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * The cloud's data for the gateways' caches: items (reference data, configuration, models) by
 * key, each with a version that increases with every change and a content type. Every change
 * is announced on {@value Subjects#CLOUD_DATA_CHANGES} by whoever makes it, so gateways
 * invalidate their copies.
 *
 * <p>Calls block on NATS round trips: keep them off event loops. NATS or JetStream failures
 * surface as {@link UncheckedIOException}; a bad key or content type as
 * {@link IllegalArgumentException} (a {@link io.fogwise.protocol.ProtocolViolation} naming the
 * rule); an item over the limit as {@link ItemTooLargeException}.
 */
public interface DataStore {

  /**
   * Stores {@code value} as the next version of {@code key} and announces the change. Concurrent
   * puts of one key never lose an update: each gets its own version.
   *
   * @return the item as stored, with its version
   */
  DataItem put(String key, String contentType, byte[] value);

  /** The current version of {@code key}, or empty if there is none. */
  default Optional<DataItem> get(String key) {
    return get(key, Long.MAX_VALUE);
  }

  /**
   * Like {@link #get(String)}, but an item larger than {@code maxBytes} is not read: for a
   * reader that could not pass it on anyway (a reply larger than a NATS message).
   *
   * @throws ItemTooLargeException if the item is larger than {@code maxBytes} (its size and that limit)
   */
  Optional<DataItem> get(String key, long maxBytes);

  /** Every item's metadata, by key. */
  List<ItemInfo> list();

  /**
   * Deletes {@code key} and announces it.
   *
   * @return the announced change (with the deleted version), or empty if there was no such item
   */
  Optional<DataChange> delete(String key);

  /** The limits this store enforces. */
  DataLimits limits();

  /**
   * The store in JetStream on {@code nats}: items in KV {@value Subjects#CLOUD_DATA_BUCKET},
   * large ones in the object store {@value Subjects#CLOUD_OBJECT_STORE}; both are created when
   * missing.
   *
   * @throws UncheckedIOException if NATS or JetStream is unavailable
   */
  static DataStore jetStream(Connection nats, DataLimits limits, Clock clock) {
    return JetStreamDataStore.open(nats, limits, clock);
  }

  /** {@link #jetStream(Connection, DataLimits, Clock)} with the default limits and the system clock. */
  static DataStore jetStream(Connection nats) {
    return jetStream(nats, DataLimits.DEFAULT, Clock.system());
  }
}
