package io.fogwise.protocol;

/**
 * A change of an item of cloud data, announced by the cloud service on
 * {@link Subjects#CLOUD_DATA_CHANGES} so gateways invalidate their copies.
 *
 * @param key the item's key
 * @param version the new version (PUT) or the last version (DELETE)
 * @param op what happened
 * @param atMillis when (wall clock)
 */
public record DataChange(String key, long version, Op op, long atMillis) {
  /** What happened to the item. */
  public enum Op { PUT, DELETE }

  public DataChange {
    DataItem.key(key, "key");
    Checks.nonNegative(version, "version");
    Checks.required(op, "op");
    Checks.nonNegative(atMillis, "atMillis");
  }
}
