package io.fogwise.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * The answer to a {@link DataRequest}: the item, or why there is none. From a gateway's cache
 * it also says whether the item is stale (the cloud could not be reached to refresh it) and how
 * old the gateway's copy is.
 *
 * @param key the key asked for
 * @param item the item, or null when not found or on error
 * @param stale whether the gateway served a copy it could not refresh (cache replies only)
 * @param ageMs how long ago the gateway loaded this copy from the cloud (cache replies; 0 from the cloud)
 * @param error why there is no item: null when found; {@code not found: ...} for an unknown key,
 *     anything else for a failure
 */
public record DataReply(String key, DataItem item, boolean stale, long ageMs, String error) {
  public DataReply {
    Checks.required(key, "key");
    Checks.nonNegative(ageMs, "ageMs");
    if ((item == null) == (error == null)) {
      throw ProtocolViolation.invalid("error", "a reply has either an item or an error");
    }
  }

  public static DataReply found(DataItem item, boolean stale, long ageMs) {
    return new DataReply(item.key(), item, stale, ageMs, null);
  }

  public static DataReply notFound(String key) {
    return new DataReply(key, null, false, 0, "not found: no item with key '" + key + "'");
  }

  public static DataReply error(String key, String why) {
    return new DataReply(key, null, false, 0, why);
  }

  /** Whether this answer says the key does not exist (rather than a failure). */
  @JsonIgnore
  public boolean isNotFound() {
    return error != null && error.startsWith("not found:");
  }
}
