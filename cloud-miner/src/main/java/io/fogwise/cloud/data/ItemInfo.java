package io.fogwise.cloud.data;

/**
 * What the store knows about an item without its content, for listings.
 *
 * @param key the item's key
 * @param version its version (1 for the first, increasing with every change)
 * @param contentType its media type
 * @param updatedAtMillis when this version was stored (wall clock)
 * @param size the content's size in bytes
 * @param placement where the content is kept
 */
public record ItemInfo(String key, long version, String contentType, long updatedAtMillis, long size,
    DataLimits.Placement placement) {}
