package io.fogwise.gateway.store;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValueManagement;
import java.io.IOException;

/** Whether a KV bucket exists, asked of that bucket alone. */
public final class Buckets {
  /** JetStream's error code for "stream not found". */
  private static final int STREAM_NOT_FOUND = 10059;

  private Buckets() {}

  /**
   * Whether {@code bucket} exists. Asks for the bucket's own stream info rather than listing
   * every bucket: a gateway may read only its own buckets' streams, not the names of all
   * streams on the hub ({@code $JS.API.STREAM.NAMES}).
   */
  public static boolean exists(KeyValueManagement kvm, String bucket) throws IOException, JetStreamApiException {
    try {
      kvm.getStatus(bucket);
      return true;
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }
}
