package io.fogwise.protocol;

/**
 * A read of one item of cloud data by key: a gateway asking the cloud service
 * ({@link Subjects#CLOUD_DATA_GET}), or a device asking its gateway's cache
 * ({@link Subjects#cacheGet}).
 *
 * @param key the item's key ({@link DataItem#key})
 */
public record DataRequest(String key) {
  public DataRequest {
    DataItem.key(key, "key");
  }
}
