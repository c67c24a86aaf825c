package io.fogwise.cloud.data;

/**
 * How large cloud data items may be, and which ones go to the object store.
 *
 * @param inlineMaxBytes items up to this size are kept in the KV entry itself; larger ones in
 *     the object store, with the KV entry holding their metadata and a pointer
 * @param maxItemBytes the hard limit: larger items are refused
 */
public record DataLimits(int inlineMaxBytes, long maxItemBytes) {
  /**
   * 512 KiB. A KV value is one NATS message, and nats-server refuses messages over its
   * {@code max_payload} (1 MiB by default); the item is stored as JSON with its value in base64,
   * which grows it by a third, so 512 KiB of content is about 683 KiB stored, leaving room for
   * the metadata. The same bound keeps a {@code fw.cloud.data.get} reply under 1 MiB.
   */
  public static final int DEFAULT_INLINE_MAX_BYTES = 512 * 1024;
  /**
   * 16 MiB: the gateways cache reference data, configuration and models in memory, so one item
   * should stay a small share of a gateway's cache; larger content belongs elsewhere.
   */
  public static final long DEFAULT_MAX_ITEM_BYTES = 16L * 1024 * 1024;
  /** The largest inline size the KV bucket's value limit ({@value JetStreamDataStore#KV_MAX_VALUE_BYTES}) allows. */
  public static final int LARGEST_INLINE_BYTES = (JetStreamDataStore.KV_MAX_VALUE_BYTES - 64 * 1024) / 4 * 3;

  /** The defaults: 512 KiB inline, 16 MiB at most. */
  public static final DataLimits DEFAULT = new DataLimits(DEFAULT_INLINE_MAX_BYTES, DEFAULT_MAX_ITEM_BYTES);

  public DataLimits {
    if (inlineMaxBytes < 0 || inlineMaxBytes > LARGEST_INLINE_BYTES) {
      throw new IllegalArgumentException("inlineMaxBytes must be within [0, " + LARGEST_INLINE_BYTES
          + "] (stored as base64 JSON in a KV value of at most " + JetStreamDataStore.KV_MAX_VALUE_BYTES
          + " bytes), got " + inlineMaxBytes);
    }
    if (maxItemBytes < 0) {
      throw new IllegalArgumentException("maxItemBytes must be >= 0, got " + maxItemBytes);
    }
  }

  /** These limits with another hard maximum. */
  public DataLimits withMaxItemBytes(long max) {
    return new DataLimits(inlineMaxBytes, max);
  }

  /**
   * Where an item of {@code size} bytes is kept.
   *
   * @throws ItemTooLargeException if it is over {@link #maxItemBytes}
   */
  public Placement placement(String key, long size) {
    if (size > maxItemBytes) {
      throw new ItemTooLargeException(key, size, maxItemBytes);
    }
    return size <= inlineMaxBytes ? Placement.INLINE : Placement.OBJECT_STORE;
  }

  /** Where an item's content is kept. */
  public enum Placement {
    /** In the KV entry, beside its metadata. */
    INLINE,
    /** In the object store; the KV entry points to it. */
    OBJECT_STORE
  }

  /** {@code 16 MiB}, {@code 512 KiB}, {@code 1000 bytes}. */
  public static String describe(long bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
      return bytes / (1024 * 1024) + " MiB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
      return bytes / 1024 + " KiB";
    }
    return bytes + (bytes == 1 ? " byte" : " bytes");
  }
}
