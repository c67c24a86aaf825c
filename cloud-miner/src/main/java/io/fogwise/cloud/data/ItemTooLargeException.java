package io.fogwise.cloud.data;

/** An item over the store's hard size limit ({@link DataLimits#maxItemBytes}); nothing was stored. */
public final class ItemTooLargeException extends IllegalArgumentException {
  private final long limit;

  /** An item of {@code size} bytes. */
  public ItemTooLargeException(String key, long size, long limit) {
    this("item '" + key + "' is " + size + " bytes", limit);
  }

  private ItemTooLargeException(String what, long limit) {
    super(what + ", over the limit of " + DataLimits.describe(limit) + " per item"
        + (DataLimits.describe(limit).endsWith("bytes") ? "" : " (" + limit + " bytes)"));
    this.limit = limit;
  }

  /** An item read only until it passed the limit. */
  public static ItemTooLargeException moreThan(String key, long limit) {
    return new ItemTooLargeException("item '" + key + "' is more than " + limit + " bytes", limit);
  }

  /** The limit it is over. */
  public long limit() {
    return limit;
  }
}
