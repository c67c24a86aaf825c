package io.fogwise.cloud.data;

import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.ProtocolViolation;
import io.fogwise.protocol.RejectReason;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A KV entry of the data bucket (JSON): an item's metadata and either its content (base64) or
 * the name of the object that holds it. The cloud service's own format; gateways read items
 * through {@code fw.cloud.data.get}, never this.
 *
 * @param key the item's key
 * @param version its version
 * @param contentType its media type
 * @param updatedAtMillis when this version was stored
 * @param size the content's size in bytes
 * @param sha256 the content's SHA-256, hex, checked when an object is read back
 * @param value the content, when kept inline
 * @param object the object store entry holding the content, otherwise
 */
record StoredItem(String key, long version, String contentType, long updatedAtMillis, long size, String sha256,
    byte[] value, String object) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  StoredItem {
    // Checks what DataItem checks (key, version, content type) by building one without content.
    new DataItem(key, version, contentType, updatedAtMillis, new byte[0]);
    if (size < 0) {
      throw invalid("size", "must be >= 0, got " + size);
    }
    if (sha256 == null || !SHA256.matcher(sha256).matches()) {
      throw invalid("sha256", "must be 64 lower-case hex digits");
    }
    if ((value == null) == (object == null)) {
      throw invalid("value", "an entry holds either the value or the name of its object");
    }
    if (value != null && value.length != size) {
      throw invalid("size", "is " + size + " but the value has " + value.length + " bytes");
    }
    if (object != null && object.isEmpty()) {
      throw invalid("object", "must not be empty");
    }
  }

  /** An entry holding {@code content} itself. */
  static StoredItem inline(String key, long version, String contentType, long at, byte[] content) {
    return new StoredItem(key, version, contentType, at, content.length, sha256(content), content, null);
  }

  /** An entry pointing to {@code object}, which holds {@code content}. */
  static StoredItem inObject(String key, long version, String contentType, long at, byte[] content, String object) {
    return new StoredItem(key, version, contentType, at, content.length, sha256(content), null, object);
  }

  DataLimits.Placement placement() {
    return value != null ? DataLimits.Placement.INLINE : DataLimits.Placement.OBJECT_STORE;
  }

  /** The item with this content (an inline entry's own value, or what was read from the object). */
  DataItem item(byte[] content) {
    return new DataItem(key, version, contentType, updatedAtMillis, content);
  }

  /** Whether {@code content} is what this entry describes (size and hash). */
  boolean matches(byte[] content) {
    return content.length == size && sha256(content).equals(sha256);
  }

  ItemInfo info() {
    return new ItemInfo(key, version, contentType, updatedAtMillis, size, placement());
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static ProtocolViolation invalid(String field, String why) {
    return new ProtocolViolation(RejectReason.INVALID_FIELD, field, "field '" + field + "' " + why);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredItem s && key.equals(s.key) && version == s.version && contentType.equals(s.contentType)
        && updatedAtMillis == s.updatedAtMillis && size == s.size && sha256.equals(s.sha256)
        && Arrays.equals(value, s.value) && java.util.Objects.equals(object, s.object);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(key, version, sha256, object);
  }

  @Override
  public String toString() {
    return "StoredItem[" + key + " v" + version + ", " + contentType + ", " + size + " bytes"
        + (object != null ? ", object " + object : "") + "]";
  }
}
