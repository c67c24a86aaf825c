package io.fogwise.protocol;

/** Why an inbound message was rejected; the lower-case name is the metric tag. */
public enum RejectReason {
  /** Larger than {@link MessageCodec#MAX_MESSAGE_BYTES}. */
  OVERSIZED,
  /** Not JSON, or JSON of the wrong shape (an array where an object belongs). */
  MALFORMED,
  /** A required field is absent or null. */
  MISSING_FIELD,
  /** A field has a value out of range or of the wrong type. */
  INVALID_FIELD,
  /** A field this protocol version does not define. */
  UNKNOWN_FIELD,
  /** A message kind or action the receiver does not know. */
  UNKNOWN_TYPE,
  /**
   * Sent by the hub's JetStream on behalf of a client that named this subject as the reply or
   * deliver subject of its request or consumer ({@link Relayed}): not from the sender the
   * subject stands for.
   */
  RELAYED;

  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
