package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.required;

import java.util.regex.Pattern;

/**
 * One item of cloud data that gateways cache and serve to their devices (reference data,
 * configuration, a model), as the cloud service holds it.
 *
 * @param key the item's key: 1–128 characters of letters, digits, {@code . _ - /}, not starting
 *     or ending with {@code .} or {@code /}
 * @param version increases with every change of the item (1 for the first)
 * @param contentType a media type, e.g. {@code application/json}, {@code text/csv}
 * @param updatedAtMillis when the cloud accepted this version (wall clock)
 * @param value the content, base64 in JSON
 */
public record DataItem(String key, long version, String contentType, long updatedAtMillis, byte[] value) {
  /** Keys: what can also be a NATS subject token sequence and a KV key, safely. */
  public static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-](?:[A-Za-z0-9_./-]{0,126}[A-Za-z0-9_-])?");
  private static final Pattern CONTENT_TYPE = Pattern.compile("[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}"
      + "(;[ -~]{0,128})?");

  public DataItem {
    key(key, "key");
    if (version < 1) {
      throw ProtocolViolation.invalid("version", "must be at least 1, got " + version);
    }
    required(contentType, "contentType");
    if (!CONTENT_TYPE.matcher(contentType).matches()) {
      throw ProtocolViolation.invalid("contentType", "is not a media type like application/json: '"
          + Checks.abbreviate(contentType) + "'");
    }
    nonNegative(updatedAtMillis, "updatedAtMillis");
    required(value, "value");
  }

  /** Checks a key; returns it. */
  public static String key(String key, String field) {
    required(key, field);
    if (!KEY.matcher(key).matches() || key.contains("..") || key.contains("//")) {
      throw ProtocolViolation.invalid(field, "must be 1-128 characters of letters, digits and . _ - / (not starting or"
          + " ending with . or /, no .. or //): '" + Checks.abbreviate(key) + "'");
    }
    return key;
  }
}
